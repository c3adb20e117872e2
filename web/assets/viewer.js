// Draws a case's pathway with bpmn-js: current tasks highlighted, the path taken marked.
// The page provides <div id="pathway-diagram" data-xml-url=... data-current='[...]' data-done='[...]'>.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

async function drawPathway(container) {
  const response = await fetch(container.dataset.xmlUrl, { credentials: "same-origin" });
  if (!response.ok) {
    container.textContent = container.dataset.errorText || "The diagram could not be loaded.";
    return;
  }
  const viewer = new NavigatedViewer({ container });
  await viewer.importXML(await response.text());
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  const mark = (ids, marker) => {
    for (const id of ids) {
      if (registry.get(id)) canvas.addMarker(id, marker);
    }
  };
  mark(JSON.parse(container.dataset.done || "[]"), "casepath-done");
  mark(JSON.parse(container.dataset.current || "[]"), "casepath-current");
  canvas.zoom("fit-viewport");
  container.dataset.rendered = "true";
}

document.querySelectorAll("[data-pathway-diagram]").forEach((element) => {
  drawPathway(element).catch((error) => {
    element.textContent = element.dataset.errorText || "The diagram could not be drawn.";
    console.error(error);
  });
});

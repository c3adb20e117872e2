// Draws a case's pathway with bpmn-js: the current step highlighted and shown first, the path taken
// marked, and on-screen buttons (zoom in, zoom out, the whole pathway, the current step).
// The page provides <div id="pathway-diagram" data-xml-url=... data-current='[...]' data-done='[...]'>
// and, before it, a toolbar of <button data-diagram-action="in|out|fit|current"> (labelled by the page,
// in the reader's language), hidden until the diagram is drawn.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";

const STEP = 1.25;
const MIN_ZOOM = 0.2;
const MAX_ZOOM = 3;

// The smallest box holding the given shapes.
function boundsOf(shapes) {
  const left = Math.min(...shapes.map((s) => s.x));
  const top = Math.min(...shapes.map((s) => s.y));
  const right = Math.max(...shapes.map((s) => s.x + s.width));
  const bottom = Math.max(...shapes.map((s) => s.y + s.height));
  return { x: left, y: top, width: right - left, height: bottom - top };
}

// Center the current step(s) at a readable scale (the whole pathway when nothing is current).
function showCurrent(canvas, registry, ids) {
  const shapes = ids.map((id) => registry.get(id)).filter((shape) => shape && shape.width !== undefined);
  if (!shapes.length) {
    canvas.zoom("fit-viewport", "auto");
    return;
  }
  const box = boundsOf(shapes);
  const outer = canvas.viewbox().outer;
  const readable = outer.width < 600 ? 0.8 : 1;
  const scale = Math.min(readable, (outer.width * 0.9) / box.width, (outer.height * 0.9) / box.height);
  const width = outer.width / scale;
  const height = outer.height / scale;
  canvas.viewbox({
    x: box.x + box.width / 2 - width / 2,
    y: box.y + box.height / 2 - height / 2,
    width,
    height,
  });
}

function bindToolbar(toolbar, canvas, registry, current) {
  const zoomBy = (factor) => {
    const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, canvas.zoom() * factor));
    canvas.zoom(next, "auto");
  };
  const actions = {
    in: () => zoomBy(STEP),
    out: () => zoomBy(1 / STEP),
    fit: () => canvas.zoom("fit-viewport", "auto"),
    current: () => showCurrent(canvas, registry, current),
  };
  toolbar.querySelectorAll("[data-diagram-action]").forEach((button) => {
    const action = actions[button.dataset.diagramAction];
    if (action) button.addEventListener("click", action);
  });
  if (!current.length) toolbar.querySelector('[data-diagram-action="current"]')?.remove();
  toolbar.hidden = false;
}

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
  const current = JSON.parse(container.dataset.current || "[]");
  mark(JSON.parse(container.dataset.done || "[]"), "casepath-done");
  mark(current, "casepath-current");
  // The drawing is a picture: the buttons above it are the way to move it by keyboard, so the canvas
  // itself takes no focus (a focusable drawing inside the figure would be a nested control).
  container.querySelectorAll("svg[tabindex]").forEach((svg) => svg.setAttribute("tabindex", "-1"));
  container.querySelectorAll("a.bjs-powered-by").forEach((link) => link.setAttribute("tabindex", "-1"));
  showCurrent(canvas, registry, current);
  const toolbar = document.getElementById(container.dataset.toolbar || "");
  if (toolbar) bindToolbar(toolbar, canvas, registry, current);
  container.dataset.rendered = "true";
}

document.querySelectorAll("[data-pathway-diagram]").forEach((element) => {
  drawPathway(element).catch((error) => {
    element.textContent = element.dataset.errorText || "The diagram could not be drawn.";
    console.error(error);
  });
});

// Two versions of a pathway side by side: bpmn-js-differ computes the semantic diff, and the elements
// added (green), removed (red) and changed (amber) are coloured on both diagrams. The page lists the
// changes of Casepath's properties in words; each <div data-studio-diff> has the two XML urls.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import BpmnModdle from "bpmn-moddle";
import { diff } from "bpmn-js-differ";
import spiffworkflow from "./studio/spiffworkflow.json";

async function fetchXml(url) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  if ((response.headers.get("Content-Type") || "").includes("json")) return (await response.json()).xml;
  return response.text();
}

async function definitions(xml) {
  const moddle = new BpmnModdle({ spiffworkflow });
  return (await moddle.fromXML(xml)).rootElement;
}

function mark(viewer, ids, marker) {
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  for (const id of ids) if (registry.get(id)) canvas.addMarker(id, marker);
}

async function drawDiff(box) {
  const [oldXml, newXml] = await Promise.all([
    box.dataset.oldUrl ? fetchXml(box.dataset.oldUrl) : Promise.resolve(""),
    fetchXml(box.dataset.newUrl),
  ]);
  const changes = oldXml ? diff(await definitions(oldXml), await definitions(newXml)) : { _added: {}, _removed: {}, _changed: {}, _layoutChanged: {} };
  const sides = {};
  for (const [side, xml] of [["old", oldXml], ["new", newXml]]) {
    const container = box.querySelector(`[data-side="${side}"]`);
    if (!xml) continue;
    const viewer = new NavigatedViewer({ container, moddleExtensions: { spiffworkflow } });
    await viewer.importXML(xml);
    viewer.get("canvas").zoom("fit-viewport");
    sides[side] = viewer;
  }
  const changed = Object.keys(changes._changed);
  if (sides.old) {
    mark(sides.old, Object.keys(changes._removed), "cp-removed");
    mark(sides.old, changed, "cp-changed");
  }
  mark(sides.new, Object.keys(changes._added), "cp-added");
  mark(sides.new, changed, "cp-changed");
  mark(sides.new, Object.keys(changes._layoutChanged), "cp-moved");
  box.dataset.rendered = "true";
  box.dataset.changed = JSON.stringify(changed.sort());
}

document.querySelectorAll("[data-studio-diff]").forEach((box) => {
  drawDiff(box).catch((error) => {
    box.prepend(Object.assign(document.createElement("p"), { textContent: box.dataset.errorText }));
    console.error(error);
  });
});

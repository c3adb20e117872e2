// The pathway studio's editor: a bpmn-js Modeler with the properties panel and Casepath's group, a
// minimap, bpmnlint's structural rules, and the server's verdict drawn on the diagram.
// The page provides #studio-config (the property declaration, roles, forms, the catalogue, API urls)
// and #studio-texts (the page's own words and the CSRF token).
import Modeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import minimapModule from "diagram-js-minimap";
import lintModule from "bpmn-js-bpmnlint";
import spiffworkflow from "./studio/spiffworkflow.json";
import CasepathPropertiesProvider from "./studio/casepath_props";
import { lintConfig } from "./studio/lint";

const config = JSON.parse(document.getElementById("studio-config").textContent);
const texts = JSON.parse(document.getElementById("studio-texts").textContent);
const $ = (id) => document.getElementById(id);
const say = (template, values = {}) =>
  Object.entries(values).reduce((text, [name, value]) => text.replace(`%(${name})s`, value), template);

function translate(template, replacements) {
  const text = config.catalogue[template] || template;
  return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}

const modeler = new Modeler({
  container: $("studio-canvas"),
  propertiesPanel: { parent: $("studio-properties") },
  linting: { bpmnlint: lintConfig, active: true },
  moddleExtensions: { spiffworkflow },
  casepath: config,
  casepathTexts: texts,
  additionalModules: [
    BpmnPropertiesPanelModule,
    BpmnPropertiesProviderModule,
    minimapModule,
    lintModule,
    { translate: ["value", translate] },
    { __init__: ["casepathPropertiesProvider"], casepathPropertiesProvider: ["type", CasepathPropertiesProvider] },
  ],
});
window.casepathModeler = modeler; // for the browser tests and the console

const canvas = modeler.get("canvas");
const registry = modeler.get("elementRegistry");
const overlays = modeler.get("overlays");
const commandStack = modeler.get("commandStack");
const eventBus = modeler.get("eventBus");
// Hand-written diagrams name a flow's source and target but not a node's incoming and outgoing flows,
// which bpmnlint's rules (disconnected elements, implicit splits, superfluous gateways) read: derive
// them once the XML is parsed. They are what bpmn.io writes anyway; the server ignores them.
eventBus.on("import.parse.complete", ({ definitions }) => {
  const add = (node, name, flow) => {
    if (!node) return;
    const list = node.get(name);
    if (!list.includes(flow)) list.push(flow);
  };
  const wire = (container) => {
    for (const element of container.get("flowElements") || []) {
      if (element.$instanceOf("bpmn:SequenceFlow")) {
        add(element.sourceRef, "outgoing", element);
        add(element.targetRef, "incoming", element);
      }
      if (element.$instanceOf("bpmn:FlowElementsContainer")) wire(element);
    }
  };
  for (const root of (definitions && definitions.get("rootElements")) || []) {
    if (root.$instanceOf("bpmn:Process")) wire(root);
  }
});

let serverProblems = [];
let lintProblems = [];
let marked = [];

function status(text) {
  $("studio-status").textContent = text;
}

async function api(url, options = {}) {
  const headers = { "X-CSRFToken": texts.csrf, ...(options.headers || {}) };
  const response = await fetch(url, { credentials: "same-origin", ...options, headers });
  const body = response.headers.get("Content-Type")?.includes("json") ? await response.json() : await response.text();
  return { response, body };
}

async function load() {
  const started = performance.now();
  let xml;
  const draft = config.has_draft ? await api(config.api) : { response: { ok: false } };
  if (draft.response.ok) {
    xml = draft.body.xml;
    serverProblems = draft.body.problems;
  } else {
    const versions = await api(config.versions_api);
    const latest = versions.body.items[0].version;
    xml = (await api(`${config.versions_api}/${latest}/bpmn`)).body;
    status(texts.no_draft);
  }
  const result = await modeler.importXML(xml);
  if (result.warnings.length) console.warn(result.warnings);
  fitBesidePalette();
  drawProblems();
  const ms = Math.round(performance.now() - started);
  $("studio-canvas").dataset.loadMs = String(ms);
  $("studio-canvas").dataset.ready = "true";
  if (draft.response.ok) status(say(texts.loaded, { ms }));
}

// "Fit" as bpmn-js does it puts the diagram's left edge under the palette: fit it into the space to
// the palette's right instead.
function fitBesidePalette() {
  canvas.zoom("fit-viewport", "auto");
  const palette = document.querySelector("#studio-canvas .djs-palette");
  const width = $("studio-canvas").clientWidth;
  const left = palette ? palette.getBoundingClientRect().width + 16 : 0;
  if (!left || width <= left * 2) return; // a phone: the palette folds, the diagram keeps the whole width
  canvas.zoom(canvas.zoom() * ((width - left) / width));
  const box = canvas.viewbox();
  canvas.viewbox({ x: box.inner.x - left / box.scale, y: box.y, width: box.width, height: box.height });
}

function drawProblems() {
  for (const id of marked) {
    if (registry.get(id)) {
      canvas.removeMarker(id, "cp-error");
      canvas.removeMarker(id, "cp-warning");
    }
  }
  overlays.remove({ type: "casepath-problem" });
  marked = [];
  const list = $("studio-problems");
  list.replaceChildren();
  const all = [
    ...serverProblems.map((p) => ({ ...p, source: texts.server })),
    ...lintProblems.map((p) => ({ ...p, source: texts.structure })),
  ];
  for (const problem of all) {
    const element = registry.get(problem.element_id);
    if (element) {
      canvas.addMarker(element, problem.severity === "error" ? "cp-error" : "cp-warning");
      marked.push(element.id);
      if (problem.source === texts.server) {
        const badge = document.createElement("span");
        badge.className = `cp-badge cp-badge-${problem.severity}`;
        badge.textContent = "!";
        badge.title = problem.message;
        overlays.add(element, "casepath-problem", { position: { top: -8, right: 8 }, html: badge });
      }
    }
    const item = document.createElement("li");
    item.className = `cp-problem cp-problem-${problem.severity}`;
    item.dataset.code = problem.code;
    item.dataset.elementId = problem.element_id;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.textContent = problem.element_id;
    button.addEventListener("click", () => select(problem.element_id));
    item.append(button, ` (${problem.source}, ${problem.code}): ${problem.message}`);
    list.append(item);
  }
  $("studio-problem-count").textContent = all.length ? `(${all.length})` : texts.no_problems;
}

function select(id) {
  const element = registry.get(id);
  if (!element) return;
  modeler.get("selection").select(element);
  canvas.scrollToElement(element);
}

eventBus.on("linting.completed", ({ issues }) => {
  lintProblems = Object.entries(issues).flatMap(([id, found]) =>
    found.map((issue) => ({
      element_id: id,
      severity: issue.category === "error" ? "error" : "warning",
      code: issue.rule,
      message: translate(issue.message),
    })),
  );
  drawProblems();
});

async function save() {
  const started = performance.now();
  status(texts.saving);
  const { xml } = await modeler.saveXML({ format: true });
  const { response, body } = await api(config.api, {
    method: "PUT",
    headers: { "Content-Type": "application/xml" },
    body: xml,
  });
  const ms = Math.round(performance.now() - started);
  if (!response.ok) {
    status(say(texts.error, { message: body.message || response.status }));
    return;
  }
  serverProblems = body.problems;
  drawProblems();
  $("studio-save").dataset.roundTripMs = String(ms);
  status(`${say(texts.saved, { ms })} ${body.verdict === "valid" ? texts.valid : say(texts.problems, { count: body.problems.length })}`);
}

async function runTests() {
  await save(); // the scenarios run against what is on the screen
  const { response, body } = await api(`${config.api}/test`, { method: "POST" });
  const box = $("studio-tests");
  box.replaceChildren();
  const summary = document.createElement("p");
  summary.id = "studio-tests-summary";
  if (!response.ok) {
    summary.textContent = say(texts.error, { message: body.message });
    box.append(summary);
    return;
  }
  summary.textContent = `${say(texts.passed, { count: body.passed })}${body.failed.length ? ` ${texts.failed} ${body.failed.length}` : ""}`;
  const list = document.createElement("ul");
  list.className = "cp-scenarios";
  for (const result of body.scenarios) {
    const item = document.createElement("li");
    item.dataset.scenario = result.name;
    item.dataset.passed = String(result.passed);
    item.className = result.passed ? "cp-scenario-pass" : "cp-scenario-fail";
    const edit = document.createElement("button");
    edit.type = "button";
    edit.className = "link";
    edit.textContent = texts.edit_scenario;
    edit.setAttribute("aria-label", `${texts.edit_scenario}: ${result.title}`);
    edit.addEventListener("click", () => editScenario(result.name).catch((error) => status(error.message)));
    const verdict = result.passed ? texts.scenario_passes : texts.scenario_fails;
    item.append(`${verdict} · ${result.title}${result.message ? `: ${result.message}` : ""} `, edit);
    list.append(item);
  }
  box.append(summary, list);
}

async function editScenario(name) {
  const { response, body } = await api(`${config.api}/scenarios`);
  if (!response.ok) {
    status(say(texts.error, { message: body.message }));
    return;
  }
  const entry = body.scenarios.find((scenario) => scenario.name === name);
  $("studio-scenario-name").value = name;
  $("studio-scenario-json").value = entry && entry.scenario ? JSON.stringify(entry.scenario, null, 2) : "";
  $("studio-scenario-result").textContent = entry && entry.error ? entry.error : "";
  $("studio-scenario-edit").hidden = false;
  $("studio-scenario-json").focus();
}

async function saveScenario(event) {
  event.preventDefault();
  const result = $("studio-scenario-result");
  const name = $("studio-scenario-name").value.trim();
  let scenario;
  try {
    scenario = JSON.parse($("studio-scenario-json").value);
  } catch (error) {
    result.textContent = say(texts.error, { message: error.message });
    return;
  }
  await save(); // the scenario runs against what is on the screen
  const { response, body } = await api(`${config.api}/scenarios/${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(scenario),
  });
  result.dataset.status = String(response.status);
  if (!response.ok) {
    const fields = Object.entries(body.fields || {}).map(([field, messages]) => `${field}: ${messages.join(", ")}`);
    result.textContent = say(texts.error, { message: [body.message, ...fields].join("; ") });
    return;
  }
  result.textContent = body.passed ? texts.scenario_saved : say(texts.scenario_saved_failing, { message: body.failures.join("; ") });
  await runTests();
}

async function tryIt(event) {
  event.preventDefault();
  const list = $("studio-steps");
  list.replaceChildren();
  overlays.remove({ type: "casepath-step" });
  for (const id of registry.getAll().map((e) => e.id)) canvas.removeMarker(id, "cp-visited");
  let scenario;
  try {
    scenario = JSON.parse($("studio-scenario").value);
  } catch (error) {
    list.append(Object.assign(document.createElement("li"), { textContent: say(texts.error, { message: error.message }) }));
    return;
  }
  await save(); // the scenario runs what is on the screen
  const { response, body } = await api(`${config.api}/simulate`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(scenario),
  });
  if (!response.ok) {
    list.append(Object.assign(document.createElement("li"), { textContent: say(texts.error, { message: body.message }) }));
    return;
  }
  const seen = new Set();
  for (const step of body.steps) {
    const date = step.at.slice(0, 10);
    const item = document.createElement("li");
    item.dataset.kind = step.kind;
    item.textContent = `${date} ${step.kind} ${step.element_id} ${step.name}${step.due_at ? ` → ${step.due_at.slice(0, 10)}` : ""}`;
    list.append(item);
    const element = registry.get(step.element_id);
    if (!element || element.waypoints) continue;
    canvas.addMarker(element, step.kind === "incident" ? "cp-error" : "cp-visited");
    if (seen.has(step.element_id)) continue;
    seen.add(step.element_id);
    const badge = document.createElement("span");
    badge.className = "cp-step-date";
    badge.textContent = date;
    overlays.add(element, "casepath-step", { position: { bottom: 0, left: 0 }, html: badge });
  }
}

async function deploy(event) {
  event.preventDefault();
  const note = $("studio-note").value;
  const { response, body } = await api(`${config.api}/deploy`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ note, confirm_failures: $("studio-confirm").checked }),
  });
  const box = $("studio-deploy-result");
  box.replaceChildren();
  const line = document.createElement("p");
  box.append(line);
  if (response.status === 201) {
    line.textContent = say(texts.deployed, { version: body.version });
  } else if (response.status === 202) {
    line.textContent = say(texts.awaiting, { id: body.approval_id });
    const list = document.createElement("ul");
    for (const reason of body.reasons_read || body.reasons) {
      const item = document.createElement("li");
      item.textContent = reason;
      list.append(item);
    }
    const link = document.createElement("a");
    link.href = `/pathway-approvals/${body.approval_id}`;
    link.textContent = texts.approval_link;
    box.append(list, link);
  } else {
    line.textContent = say(texts.error, { message: body.message });
    const failures = body.fields && body.fields.confirm_failures;
    if (failures) {
      $("studio-confirm-field").hidden = false;
      const list = document.createElement("ul");
      for (const failure of failures) {
        const item = document.createElement("li");
        item.textContent = failure;
        list.append(item);
      }
      box.append(list);
    }
  }
  line.id = "studio-deploy-line";
  line.dataset.status = String(response.status);
}

async function download() {
  const { xml } = await modeler.saveXML({ format: true });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
  link.download = `${config.key}-draft.bpmn`;
  link.click();
  URL.revokeObjectURL(link.href);
}

$("studio-save").addEventListener("click", () => save().catch((error) => status(say(texts.error, { message: error.message }))));
$("studio-undo").addEventListener("click", () => commandStack.undo());
$("studio-redo").addEventListener("click", () => commandStack.redo());
$("studio-zoom-in").addEventListener("click", () => canvas.zoom(canvas.zoom() * 1.2));
$("studio-zoom-out").addEventListener("click", () => canvas.zoom(canvas.zoom() / 1.2));
$("studio-fit").addEventListener("click", () => fitBesidePalette());
$("studio-download").addEventListener("click", () => download());
$("studio-test").addEventListener("click", () => runTests().catch((error) => status(error.message)));
$("studio-scenario-edit").addEventListener("submit", (event) => saveScenario(event).catch((error) => status(error.message)));
$("studio-scenario-new").addEventListener("click", () => {
  $("studio-scenario-name").value = "";
  $("studio-scenario-json").value = $("studio-scenario").value;
  $("studio-scenario-result").textContent = "";
  $("studio-scenario-edit").hidden = false;
  $("studio-scenario-name").focus();
});
$("studio-try").addEventListener("submit", (event) => tryIt(event).catch((error) => status(error.message)));
$("studio-deploy").addEventListener("submit", (event) => deploy(event).catch((error) => status(error.message)));

load().catch((error) => {
  status(say(texts.error, { message: error.message }));
  console.error(error);
});

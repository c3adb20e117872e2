// The form builder: fields of a JSON Schema form edited as cards (add, reorder, remove, texts in
// Bulgarian and English, required, limits, choices, a repeatable group's own fields), the schema
// itself editable as JSON, and a live preview drawn by the server with the task page's renderer.
// The page provides #fb-config (the form's key, API urls), #fb-schema (the schema, its fields in
// order) and #fb-texts (words, CSRF).
const config = JSON.parse(document.getElementById("fb-config").textContent);
const texts = JSON.parse(document.getElementById("fb-texts").textContent);
const $ = (id) => document.getElementById(id);
const say = (template, values = {}) =>
  Object.entries(values).reduce((text, [name, value]) => text.replace(`%(${name})s`, value), template);

const KINDS = ["short", "long", "number", "date", "yesno", "choice", "multi", "group"];
const MANAGED = [
  "type", "format", "x-widget", "oneOf", "enum", "items", "minLength", "maxLength", "minimum",
  "maximum", "minItems", "maxItems", "uniqueItems",
];
let schema = JSON.parse(document.getElementById("fb-schema").textContent); // in its fields' order
let counter = 0; // unique ids for the cards' inputs

function choicesOf(spec) {
  if (Array.isArray(spec.oneOf)) return spec.oneOf.filter((o) => o && typeof o === "object" && "const" in o);
  if (Array.isArray(spec.enum)) return spec.enum.map((value) => ({ const: value, title: String(value) }));
  return [];
}

function kindOf(spec) {
  const type = Array.isArray(spec.type) ? spec.type.find((t) => t !== "null") : spec.type || "string";
  if (type === "array") {
    if (spec.items && spec.items.type === "object") return "group";
    return "multi";
  }
  if (type === "boolean") return "yesno";
  if (type === "number" || type === "integer") return "number";
  if (spec.format === "date") return "date";
  if (choicesOf(spec).length) return "choice";
  return spec["x-widget"] === "textarea" ? "long" : "short";
}

// A field's schema for another kind: what the kind needs, its texts and anything unmanaged kept.
function retyped(spec, kind) {
  const kept = Object.fromEntries(Object.entries(spec).filter(([name]) => !MANAGED.includes(name)));
  const options = choicesOf(spec.type === "array" && spec.items ? spec.items : spec);
  const someChoices = options.length ? options : [{ const: "yes", title: "Да", "x-title-en": "Yes" }];
  switch (kind) {
    case "long": return { ...kept, type: "string", "x-widget": "textarea", maxLength: spec.maxLength || 5000 };
    case "number": return { ...kept, type: spec.type === "integer" ? "integer" : "number" };
    case "date": return { ...kept, type: "string", format: "date" };
    case "yesno": return { ...kept, type: "boolean" };
    case "choice": return { ...kept, type: "string", oneOf: someChoices };
    case "multi": return { ...kept, type: "array", items: { type: "string", oneOf: someChoices }, uniqueItems: true };
    case "group": return {
      ...kept, type: "array", maxItems: spec.maxItems || 10,
      items: spec.items && spec.items.type === "object" ? spec.items : { type: "object", title: "", properties: {}, required: [] },
    };
    default: return { ...kept, type: "string", maxLength: spec.maxLength || 200 };
  }
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) node.append(child);
  return node;
}

function input(label, value, onChange, options = {}) {
  const id = `fb-${++counter}`;
  const field = element("div", { class: options.check ? "field fb-check" : "field" });
  let control;
  if (options.check) {
    control = element("input", { type: "checkbox", id });
    control.checked = Boolean(value);
    control.addEventListener("change", () => onChange(control.checked));
    field.append(control, element("label", { for: id, text: label }));
    return field;
  }
  if (options.select) {
    control = element("select", { id });
    for (const [code, text] of options.select) {
      const option = element("option", { value: code, text });
      option.selected = code === value;
      control.append(option);
    }
    control.addEventListener("change", () => onChange(control.value));
  } else if (options.rows) {
    control = element("textarea", { id, rows: options.rows });
    control.value = value ?? "";
    control.addEventListener("input", () => onChange(control.value));
  } else {
    control = element("input", { type: options.type || "text", id, maxlength: options.maxlength });
    control.value = value ?? "";
    control.addEventListener("input", () => onChange(control.value));
  }
  if (options.name) control.dataset.role = options.name;
  field.append(element("label", { for: id, text: label }), control);
  return field;
}

function setText(spec, name, value) {
  if (value) spec[name] = value;
  else delete spec[name];
}

function setNumber(spec, name, value) {
  const number = value === "" ? NaN : Number(value);
  if (Number.isFinite(number)) spec[name] = number;
  else delete spec[name];
}

function choicesText(spec) {
  return choicesOf(spec)
    .map((o) => [o.const, o.title || "", o["x-title-en"] || ""].join(" | "))
    .join("\n");
}

function parseChoices(text) {
  return text.split("\n").map((line) => line.split("|").map((part) => part.trim())).filter((parts) => parts[0])
    .map(([value, title, titleEn]) => {
      const option = { const: value, title: title || value };
      if (titleEn) option["x-title-en"] = titleEn;
      return option;
    });
}

// The cards of an object's properties: ``owner`` holds ``properties`` and ``required``.
function renderFields(list, owner, nested) {
  list.replaceChildren();
  const names = Object.keys(owner.properties || {});
  names.forEach((name, index) => list.append(card(list, owner, name, index, names.length, nested)));
}

function rename(owner, oldName, newName) {
  if (!newName || newName === oldName || newName in owner.properties) return false;
  owner.properties = Object.fromEntries(
    Object.entries(owner.properties).map(([name, spec]) => [name === oldName ? newName : name, spec]),
  );
  owner.required = (owner.required || []).map((name) => (name === oldName ? newName : name));
  return true;
}

function move(owner, name, by) {
  const entries = Object.entries(owner.properties);
  const at = entries.findIndex(([n]) => n === name);
  const to = at + by;
  if (to < 0 || to >= entries.length) return;
  [entries[at], entries[to]] = [entries[to], entries[at]];
  owner.properties = Object.fromEntries(entries);
}

function card(list, owner, name, index, count, nested) {
  const spec = owner.properties[name];
  const item = element("li", { class: "fb-card" });
  const fieldset = element("fieldset");
  const legend = element("legend", { text: `${say(texts.field, { number: index + 1 })}: ${name}` });
  fieldset.append(legend);
  if (typeof spec !== "object" || spec === null) {
    fieldset.append(element("p", { class: "field-error", text: texts.preview_error }));
    item.append(fieldset);
    return item;
  }
  let currentName = name;
  const redraw = () => { renderFields(list, owner, nested); changed(); };
  fieldset.append(input(texts.name, name, (value) => {
    const clean = value.trim();
    if (rename(owner, currentName, clean)) { currentName = clean; legend.textContent = `${say(texts.field, { number: index + 1 })}: ${clean}`; changed(); }
  }, { maxlength: 80, name: "name" }));
  const kinds = KINDS.filter((k) => !(nested && k === "group")).map((k) => [k, texts.kinds[k]]);
  fieldset.append(input(texts.kind, kindOf(spec), (kind) => {
    owner.properties[currentName] = retyped(owner.properties[currentName], kind);
    redraw();
  }, { select: kinds, name: "kind" }));
  fieldset.append(input(texts.title, spec.title, (v) => { setText(spec, "title", v); changed(); }, { name: "title" }));
  fieldset.append(input(texts.title_en, spec["x-title-en"], (v) => { setText(spec, "x-title-en", v); changed(); }, { name: "title_en" }));
  fieldset.append(input(texts.help, spec.description, (v) => { setText(spec, "description", v); changed(); }, { rows: 2 }));
  fieldset.append(input(texts.help_en, spec["x-description-en"], (v) => { setText(spec, "x-description-en", v); changed(); }, { rows: 2 }));
  const required = (owner.required || []).includes(currentName);
  fieldset.append(input(texts.required, required, (on) => {
    const rest = (owner.required || []).filter((n) => n !== currentName);
    owner.required = on ? [...rest, currentName] : rest;
    changed();
  }, { check: true }));
  const kind = kindOf(spec);
  const limits = element("div", { class: "fb-limits" });
  const number = (label, key) => input(label, spec[key], (v) => { setNumber(spec, key, v); changed(); }, { type: "number" });
  if (kind === "short" || kind === "long") limits.append(number(texts.min_length, "minLength"), number(texts.max_length, "maxLength"));
  if (kind === "number") {
    limits.append(number(texts.minimum, "minimum"), number(texts.maximum, "maximum"));
    limits.append(input(texts.whole, spec.type === "integer", (on) => { spec.type = on ? "integer" : "number"; changed(); }, { check: true }));
  }
  if (kind === "multi" || kind === "group") limits.append(number(texts.min_items, "minItems"), number(texts.max_items, "maxItems"));
  if (limits.childElementCount) fieldset.append(limits);
  if (kind === "choice" || kind === "multi") {
    const holder = kind === "multi" ? spec.items : spec;
    fieldset.append(input(texts.choices, choicesText(holder), (v) => {
      holder.oneOf = parseChoices(v);
      delete holder.enum;
      changed();
    }, { rows: 4 }));
  }
  if (kind === "group") {
    const items = spec.items;
    items.properties = items.properties || {};
    const sub = element("ol", { class: "fb-fields fb-subfields", "aria-label": texts.subfields });
    const addSub = element("button", { type: "button", class: "secondary", text: texts.add_subfield });
    addSub.addEventListener("click", () => {
      items.properties[freeName(items)] = retyped({ title: "", "x-title-en": "" }, "short");
      renderFields(sub, items, true);
      changed();
      focusLast(sub);
    });
    fieldset.append(element("h3", { text: texts.subfields }), sub, addSub);
    renderFields(sub, items, true);
  }
  const buttons = element("div", { class: "fb-card-buttons" });
  const button = (text, onClick, disabled) => {
    const b = element("button", { type: "button", class: "secondary", text, "aria-label": `${text}: ${currentName}`, disabled });
    b.addEventListener("click", onClick);
    return b;
  };
  buttons.append(
    button(texts.up, () => { move(owner, currentName, -1); redraw(); focusButton(list, currentName, 0); }, index === 0),
    button(texts.down, () => { move(owner, currentName, 1); redraw(); focusButton(list, currentName, 1); }, index === count - 1),
    button(texts.remove, () => {
      delete owner.properties[currentName];
      owner.required = (owner.required || []).filter((n) => n !== currentName);
      redraw();
      (list.querySelector("input") || $("fb-add-kind")).focus();
    }),
  );
  fieldset.append(buttons);
  item.dataset.field = name;
  item.append(fieldset);
  return item;
}

function focusButton(list, name, which) {
  const cardNode = [...list.children].find((node) => node.dataset.field === name);
  const buttons = cardNode ? cardNode.querySelectorAll(":scope > fieldset > .fb-card-buttons button") : [];
  const target = buttons[which] && !buttons[which].disabled ? buttons[which] : buttons[2];
  if (target) target.focus();
}

function focusLast(list) {
  const last = list.lastElementChild;
  const field = last && last.querySelector("input");
  if (field) field.focus();
}

function freeName(owner) {
  let number = Object.keys(owner.properties).length + 1;
  while (`field_${number}` in owner.properties) number += 1;
  return `field_${number}`;
}

// --- the whole form ---------------------------------------------------------------------------------
function bindFormTexts() {
  const pairs = [["fb-title", "title"], ["fb-title-en", "x-title-en"], ["fb-help", "description"], ["fb-help-en", "x-description-en"]];
  for (const [id, key] of pairs) {
    const control = $(id);
    control.value = schema[key] || "";
    control.oninput = () => { setText(schema, key, control.value); changed(); };
  }
}

function load(newSchema) {
  schema = newSchema;
  schema.properties = schema.properties && typeof schema.properties === "object" ? schema.properties : {};
  bindFormTexts();
  renderFields($("fb-fields"), schema, false);
  changed();
}

let previewTimer = null;
let previewSeq = 0;
function changed() {
  if (document.activeElement !== $("fb-json")) $("fb-json").value = JSON.stringify(schema, null, 2);
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 350);
}

async function send(url, method, body) {
  const headers = { "X-CSRFToken": texts.csrf, "Content-Type": "application/json", Accept: "application/json, text/html" };
  return fetch(url, { method, headers, body: JSON.stringify(body), credentials: "same-origin" });
}

async function preview() {
  const seq = ++previewSeq;
  const target = $("fb-preview");
  try {
    const response = await send(config.preview_api, "POST", schema);
    if (seq !== previewSeq) return; // a newer preview is on its way
    if (response.ok) {
      target.innerHTML = await response.text(); // the server's renderer: escaped, no script
      target.dataset.state = "ok";
    } else {
      const body = await response.json().catch(() => ({}));
      const details = Object.entries(body.fields || {}).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
      target.replaceChildren(element("p", { class: "field-error", text: [texts.preview_error, ...details].join(" ") }));
      target.dataset.state = "error";
    }
  } catch (error) {
    target.replaceChildren(element("p", { class: "field-error", text: say(texts.error, { message: error.message }) }));
  }
}

function showProblems(problems) {
  const list = $("fb-problems");
  list.replaceChildren(
    ...problems.map((p) => element("li", { class: `fb-problem fb-${p.severity}`, text: `${p.field}: ${p.message}` })),
  );
  $("fb-problem-count").textContent = problems.length ? say(texts.problems, { count: problems.length }) : texts.valid;
}

async function save() {
  const status = $("fb-status");
  status.textContent = texts.saving;
  try {
    const response = await fetch(config.draft_api, {
      method: "PUT",
      headers: { "X-CSRFToken": texts.csrf, "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(schema),
      credentials: "same-origin",
    });
    const body = await response.json();
    if (!response.ok) {
      status.textContent = say(texts.error, { message: body.message || response.status });
      return;
    }
    showProblems(body.problems);
    status.textContent = `${texts.saved} ${body.problems.length ? say(texts.problems, { count: body.problems.length }) : texts.valid}`;
    status.dataset.verdict = body.verdict;
  } catch (error) {
    status.textContent = say(texts.error, { message: error.message });
  }
}

for (const kind of KINDS) $("fb-add-kind").append(element("option", { value: kind, text: texts.kinds[kind] }));
$("fb-add").addEventListener("click", () => {
  const name = freeName(schema);
  schema.properties[name] = retyped({ title: "", "x-title-en": "" }, $("fb-add-kind").value);
  renderFields($("fb-fields"), schema, false);
  changed();
  focusLast($("fb-fields"));
});
$("fb-save").addEventListener("click", save);
$("fb-json-apply").addEventListener("click", () => {
  try {
    const parsed = JSON.parse($("fb-json").value);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("{…}");
    $("fb-json-error").textContent = "";
    load(parsed);
  } catch (error) {
    $("fb-json-error").textContent = say(texts.json_error, { message: error.message });
  }
});
load(schema);
showProblems(config.problems);
window.casepathFormBuilder = { schema: () => schema }; // for the browser tests and the console

// The "Casepath" group of the properties panel, built from the property declaration the server sends
// (`casepath pathways properties --json`): one entry per declared property the selected element may
// carry, so a property added to engine/bpmn/properties.py appears here without a change to this file.
// Timers, conditions and scripts are edited here too. Expressions are checked by the server's safe
// evaluator as they are typed (debounced); its message is shown under the field.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  CheckboxEntry,
  SelectEntry,
  TextFieldEntry,
  TextAreaEntry,
  isCheckboxEntryEdited,
  isSelectEntryEdited,
  isTextFieldEntryEdited,
  isTextAreaEntryEdited,
} from "@bpmn-io/properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import { durationWords } from "./durations";

const TIMER_KINDS = ["timeDuration", "timeCycle", "timeDate"];

// One component type for every entry of the group, so that the panel's re-render (after each change)
// keeps the fields and what is being typed in them, instead of mounting new ones.
function Deferred(props) {
  return props.renderEntry();
}

function localName(element) {
  const type = getBusinessObject(element).$type.split(":")[1];
  return type.charAt(0).toLowerCase() + type.slice(1);
}

function propertiesOf(bo) {
  const ext = bo.get("extensionElements");
  if (!ext) return null;
  return (ext.get("values") || []).find((value) => value.$instanceOf("spiffworkflow:Properties")) || null;
}

export function readProperty(element, name) {
  const props = propertiesOf(getBusinessObject(element));
  const found = props && (props.get("properties") || []).find((p) => p.name === name);
  return found ? found.value || "" : "";
}

function writeProperty(injector, element, name, value) {
  const bo = getBusinessObject(element);
  const bpmnFactory = injector.get("bpmnFactory");
  const commands = [];
  const update = (moddleElement, properties) =>
    commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } });
  let ext = bo.get("extensionElements");
  if (!ext) {
    if (!value) return;
    ext = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    ext.$parent = bo;
    update(bo, { extensionElements: ext });
  }
  let props = propertiesOf(bo);
  if (!props) {
    if (!value) return;
    props = bpmnFactory.create("spiffworkflow:Properties", { properties: [] });
    props.$parent = ext;
    update(ext, { values: [...(ext.get("values") || []), props] });
  }
  const list = props.get("properties") || [];
  const existing = list.find((p) => p.name === name);
  if (existing && value) update(existing, { value });
  else if (existing) update(props, { properties: list.filter((p) => p !== existing) });
  else if (value) {
    const created = bpmnFactory.create("spiffworkflow:Property", { name, value });
    created.$parent = props;
    update(props, { properties: [...list, created] });
  }
  if (commands.length) injector.get("commandStack").execute("properties-panel.multi-command-executor", commands);
}

// Server checks of expressions, debounced; results are kept per text and shown as the entry's error.
const checked = new Map();
let pending = null;

function serverCheck(context, entryId, kind, text) {
  const key = `${kind}\u0000${text}`;
  if (checked.has(key)) return checked.get(key);
  clearTimeout(pending);
  pending = setTimeout(async () => {
    try {
      const response = await fetch(context.config.check_api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": context.texts.csrf },
        body: JSON.stringify({ kind, text }),
      });
      if (!response.ok) return;
      const body = await response.json();
      checked.set(key, body.ok ? null : body.message);
      context.errors[entryId] = body.ok ? undefined : body.message;
      context.eventBus.fire("propertiesPanel.setErrors", { errors: { ...context.errors } });
    } catch (error) {
      console.error(error);
    }
  }, 300);
  return null;
}

function propertyEntry(context, element, prop) {
  const { t, config, injector } = context;
  const locale = config.locale;
  const id = `casepath-${prop.name}`;
  const label = prop.label[locale] || prop.name;
  const description = prop.help[locale] || "";
  const getValue = () => readProperty(element, prop.name);
  const setValue = (value) => writeProperty(injector, element, prop.name, (value || "").trim());
  const choices = (options) => () => [{ value: "", label: t("— none —") }, ...options];
  if (prop.type === "role") {
    return { id, element, isEdited: isSelectEntryEdited,
      component: Deferred, renderEntry: () => h(SelectEntry, { id, element, label, description, getValue, setValue, getOptions: choices(config.roles) }) };
  }
  if (prop.type === "form_key") {
    return { id, element, isEdited: isSelectEntryEdited,
      component: Deferred, renderEntry: () => h(SelectEntry, { id, element, label, description, getValue, setValue, getOptions: choices(config.forms) }) };
  }
  if (prop.type === "anchor") {
    const anchors = (prop.values || []).map((a) => ({ value: a.name, label: `${a.name}: ${a.phrase[locale] || ""}` }));
    return { id, element, isEdited: isSelectEntryEdited,
      component: Deferred, renderEntry: () => h(SelectEntry, { id, element, label, description, getValue, setValue, getOptions: choices(anchors) }) };
  }
  if (prop.type === "flag") {
    return { id, element, isEdited: isCheckboxEntryEdited,
      component: Deferred, renderEntry: () => h(CheckboxEntry, { id, element, label, description,
        getValue: () => getValue() === "true", setValue: (on) => setValue(on ? "true" : "") }) };
  }
  const validate = (value) => {
    const text = (value || "").trim();
    if (!text) return null;
    if (prop.type === "due") {
      const words = durationWords(text, t);
      if (words) return null;
      return serverCheck(context, id, "due", text);
    }
    if (prop.type === "role_list") {
      const known = new Set(config.roles.map((r) => r.value));
      const unknown = text.split(",").map((s) => s.trim()).filter((s) => s && !known.has(s));
      return unknown.length ? t("not casework roles: %(names)s").replace("%(names)s", unknown.join(", ")) : null;
    }
    return null;
  };
  const describe = prop.type === "due"
    ? () => { const words = durationWords(getValue(), t); return words ? `${description} — ${t("in words: %(words)s").replace("%(words)s", words)}` : description; }
    : () => description;
  return { id, element, isEdited: isTextFieldEntryEdited,
    component: Deferred, renderEntry: () => h(TextFieldEntry, { id, element, label, description: describe(), getValue, setValue, validate, debounce: context.debounce }) };
}

function timerEntries(context, element) {
  const { t, injector } = context;
  const bo = getBusinessObject(element);
  const definition = (bo.get("eventDefinitions") || []).find((d) => is(d, "bpmn:TimerEventDefinition"));
  if (!definition) return [];
  const kindOf = () => TIMER_KINDS.find((k) => definition.get(k)) || "timeDuration";
  const bodyOf = () => { const e = definition.get(kindOf()); return e ? e.get("body") || "" : ""; };
  const setTimer = (kind, body) => {
    const expression = injector.get("bpmnFactory").create("bpmn:FormalExpression", { body });
    expression.$parent = definition;
    const properties = Object.fromEntries(TIMER_KINDS.map((k) => [k, k === kind ? expression : undefined]));
    injector.get("commandStack").execute("element.updateModdleProperties", { element, moddleElement: definition, properties });
  };
  const kindLabels = { timeDuration: t("Duration"), timeCycle: t("Cycle"), timeDate: t("Date") };
  const valueId = "casepath-timer";
  return [
    { id: "casepath-timer-kind", element, isEdited: isSelectEntryEdited,
      component: Deferred, renderEntry: () => h(SelectEntry, { id: "casepath-timer-kind", element, label: t("Timer kind"), getValue: kindOf,
        setValue: (kind) => setTimer(kind, bodyOf()), getOptions: () => TIMER_KINDS.map((k) => ({ value: k, label: kindLabels[k] })) }) },
    { id: valueId, element, isEdited: isTextFieldEntryEdited,
      component: Deferred, renderEntry: () => h(TextFieldEntry, { id: valueId, element, label: t("Timer"),
        description: durationWords(bodyOf().replace(/^R\d*\//, ""), t),
        getValue: bodyOf, setValue: (value) => setTimer(kindOf(), (value || "").trim()), debounce: context.debounce,
        validate: (value) => ((value || "").trim() ? serverCheck(context, valueId, "timer", value.trim()) : null) }) },
  ];
}

function bodyEntry(context, element, id, label, kind, read, write) {
  return { id, element, isEdited: isTextAreaEntryEdited,
    component: Deferred, renderEntry: () => h(TextAreaEntry, { id, element, label, getValue: read, setValue: write, debounce: context.debounce,
      validate: (value) => ((value || "").trim() ? serverCheck(context, id, kind, value.trim()) : null) }) };
}

function conditionEntries(context, element) {
  const bo = getBusinessObject(element);
  if (!is(bo, "bpmn:SequenceFlow")) return [];
  const { injector, t } = context;
  const read = () => (bo.get("conditionExpression") ? bo.get("conditionExpression").get("body") || "" : "");
  const write = (value) => {
    const text = (value || "").trim();
    let expression;
    if (text) {
      expression = injector.get("bpmnFactory").create("bpmn:FormalExpression", { body: text });
      expression.$parent = bo;
    }
    injector.get("modeling").updateProperties(element, { conditionExpression: expression });
  };
  return [bodyEntry(context, element, "casepath-condition", t("Condition"), "expression", read, write)];
}

function scriptEntries(context, element) {
  const bo = getBusinessObject(element);
  if (!is(bo, "bpmn:ScriptTask")) return [];
  const { injector, t } = context;
  const read = () => bo.get("script") || "";
  const write = (value) => injector.get("modeling").updateProperties(element, { script: value || "" });
  return [bodyEntry(context, element, "casepath-script", t("Script"), "script", read, write)];
}

export default function CasepathPropertiesProvider(propertiesPanel, injector, eventBus, translate, config) {
  const context = {
    injector, eventBus, t: translate, config: config.casepath, texts: config.casepathTexts, errors: {},
    debounce: injector.get("debounceInput", false) || ((fn) => fn),
  };
  eventBus.on("selection.changed", () => {
    context.errors = {};
    eventBus.fire("propertiesPanel.setErrors", { errors: {} });
  });
  this.getGroups = (element) => (groups) => {
    const kind = localName(element);
    const entries = [
      ...context.config.properties.filter((prop) => prop.elements.includes(kind)).map((prop) => propertyEntry(context, element, prop)),
      ...timerEntries(context, element),
      ...conditionEntries(context, element),
      ...scriptEntries(context, element),
    ];
    if (entries.length) groups.splice(1, 0, { id: "casepath", label: translate("Casepath"), entries });
    return groups;
  };
  propertiesPanel.registerProvider(400, this);
}

CasepathPropertiesProvider.$inject = ["propertiesPanel", "injector", "eventBus", "translate", "config"];

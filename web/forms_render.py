"""Task forms in HTML: JSON Schema properties → labelled fields, and submitted fields → JSON data.

Supported: text, long text (``x-widget: textarea``), choices (``oneOf`` const/title or ``enum``),
yes/no (boolean), dates (``format: date``), integers and numbers, lists of simple items (one per
line, or tick boxes when the items are choices). Validation is the engine's (jsonschema); parsing
here only turns what a browser sends into JSON values, leaving anything unparseable as text so the
validator reports it next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.pathways.forms import Form, localised

PREFIX = "f_"
RADIO_LIMIT = 4


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass
class Field:
    name: str
    kind: str  # text | textarea | date | integer | number | boolean | radio | select | lines | checklist
    label: str
    help: str
    required: bool
    value: Any = ""
    choices: list[Choice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def input_name(self) -> str:
        return PREFIX + self.name

    @property
    def input_id(self) -> str:
        return "field-" + self.name.replace("_", "-")


def _type_of(spec: dict[str, Any]) -> str:
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _choices(spec: dict[str, Any], locale: str) -> list[Choice]:
    if "oneOf" in spec:
        return [
            Choice(str(option.get("const")), localised(option, "title", locale) or str(option.get("const")))
            for option in spec["oneOf"]
            if isinstance(option, dict) and "const" in option
        ]
    return [Choice(str(value), str(value)) for value in spec.get("enum", [])]


def _kind(spec: dict[str, Any], choices: list[Choice]) -> str:
    kind = _type_of(spec)
    if choices:
        return "radio" if len(choices) <= RADIO_LIMIT else "select"
    if kind == "boolean":
        return "boolean"
    if kind in ("integer", "number"):
        return kind
    if kind == "array":
        return "checklist" if _choices(spec.get("items", {}), "bg") else "lines"
    if spec.get("format") == "date":
        return "date"
    return "textarea" if spec.get("x-widget") == "textarea" else "text"


def form_fields(
    form: Form, values: dict[str, Any] | None, errors: dict[str, list[str]] | None, locale: str
) -> list[Field]:
    """The fields of a form in order, filled with ``values`` and their error messages."""
    values, errors = values or {}, errors or {}
    required = set(form.schema.get("required", []))
    fields = []
    for name, spec in form.schema.get("properties", {}).items():
        choices = _choices(spec, locale)
        kind = _kind(spec, choices)
        if kind == "checklist":
            choices = _choices(spec.get("items", {}), locale)
        fields.append(
            Field(
                name=name,
                kind=kind,
                label=localised(spec, "title", locale) or name,
                help=localised(spec, "description", locale),
                required=name in required,
                value=_shown(values.get(name), kind),
                choices=choices,
                errors=list(errors.get(name, [])),
                max_length=spec.get("maxLength"),
                minimum=spec.get("minimum"),
                maximum=spec.get("maximum"),
            )
        )
    return fields


def _shown(value: Any, kind: str) -> Any:
    if value is None:
        return [] if kind == "checklist" else ""
    if kind == "boolean":
        return "true" if value is True else "false" if value is False else str(value)
    if kind == "checklist":
        return [str(item) for item in value] if isinstance(value, list) else [str(value)]
    if kind == "lines" and isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


def parse_submission(form: Form, submitted: MultiDict[str, str]) -> dict[str, Any]:
    """Browser fields → JSON data; empty fields are left out (so "required" reports them)."""
    data: dict[str, Any] = {}
    for name, spec in form.schema.get("properties", {}).items():
        key = PREFIX + name
        kind = _kind(spec, _choices(spec, "bg"))
        if kind == "checklist":
            picked = [v for v in submitted.getlist(key) if v]
            if picked:
                data[name] = [_typed(spec.get("items", {}), v) for v in picked]
            continue
        raw = submitted.get(key, "")
        if not raw.strip():
            continue
        if kind == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            data[name] = [_typed(spec.get("items", {}), line) for line in lines]
        else:
            data[name] = _typed(spec, raw)
    return data


def _typed(spec: dict[str, Any], raw: str) -> Any:
    kind = _type_of(spec)
    text = raw.replace("\r\n", "\n")
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.strip(), text)
    if kind in ("integer", "number"):
        return _number(text.strip(), integer=kind == "integer")
    if spec.get("x-widget") == "textarea":
        return text.rstrip()
    return text.strip()


def _number(text: str, integer: bool) -> Any:
    cleaned = text.replace(",", ".").replace(" ", "")
    try:
        if integer:
            return int(cleaned)
        value = float(cleaned)
        return int(value) if value.is_integer() and "." not in cleaned else value
    except ValueError:
        return text  # the validator says "invalid value" next to the field


@dataclass(frozen=True)
class ShownValue:
    label: str
    text: str


def shown_data(form: Form | None, data: dict[str, Any], locale: str, yes: str, no: str) -> list[ShownValue]:
    """Completed form data for reading: field titles and readable values, in the form's order."""
    if form is None:
        return [ShownValue(name, str(value)) for name, value in data.items()]
    shown = []
    properties = form.schema.get("properties", {})
    for name, spec in properties.items():
        if name in data:
            shown.append(
                ShownValue(
                    localised(spec, "title", locale) or name, _readable(spec, data[name], locale, yes, no)
                )
            )
    return shown


def _readable(spec: dict[str, Any], value: Any, locale: str, yes: str, no: str) -> str:
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, list):
        item_spec = spec.get("items", {})
        return "; ".join(_readable(item_spec, item, locale, yes, no) for item in value)
    names = {choice.value: choice.label for choice in _choices(spec, locale)}
    return names.get(str(value), str(value))

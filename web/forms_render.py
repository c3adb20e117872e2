"""Task forms in HTML: JSON Schema properties → labelled fields, and submitted fields → JSON data.

Supported: text, long text (``x-widget: textarea``), choices (``oneOf`` const/title or ``enum``),
yes/no (boolean), dates (``format: date``), integers and numbers, lists of simple items (one per
line, or tick boxes when the items are choices), and repeating groups (a list of objects: one
fieldset per item, named ``f_goals-0-goal``, with an empty row to add one more without JavaScript;
rows left entirely empty are dropped). Validation is the engine's (jsonschema); parsing
here only turns what a browser sends into JSON values, leaving anything unparseable as text so the
validator reports it next to its field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from babel.dates import format_date
from werkzeug.datastructures import MultiDict

from engine.pathways.forms import Form, is_group, localised

PREFIX = "f_"
RADIO_LIMIT = 4
MAX_ROWS = 50  # a group's rows read from a submission at most; more is the validator's "too many"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass
class Field:
    name: str
    # text | textarea | date | integer | number | boolean | radio | select | lines | checklist | group
    kind: str
    label: str
    help: str
    required: bool
    value: Any = ""
    choices: list[Choice] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    rows: list[list[Field]] = field(default_factory=list)  # a group's items, each its sub-fields
    item_title: str = ""  # a group's item, as in "Goal 1"

    @property
    def leaves(self) -> list[Field]:
        """The fields that are inputs: this one, or a group's sub-fields."""
        return [sub for row in self.rows for sub in row] if self.kind == "group" else [self]

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
    if is_group(spec):
        return "group"
    if kind == "array":
        return "checklist" if _choices(spec.get("items", {}), "bg") else "lines"
    if spec.get("format") == "date":
        return "date"
    return "textarea" if spec.get("x-widget") == "textarea" else "text"


# Lists a text field may offer as its choices (``"x-choices-from": "crisis_centres"``), filled by the view.
CHOICE_LISTS = ("crisis_centres",)


def choice_lists_of(form: Form) -> set[str]:
    """The lists a form's fields take their choices from."""
    properties = form.schema.get("properties", {}).values()
    return {str(spec["x-choices-from"]) for spec in properties if spec.get("x-choices-from") in CHOICE_LISTS}


def form_fields(
    form: Form,
    values: dict[str, Any] | None,
    errors: dict[str, list[str]] | None,
    locale: str,
    lists: dict[str, list[Choice]] | None = None,
) -> list[Field]:
    """The fields of a form in order, filled with ``values`` and their error messages.

    A text field with ``x-choices-from`` is a choice among ``lists[name]`` (the engine still validates
    the value it sends, and the operation that uses it checks it again).
    """
    values, errors = values or {}, errors or {}
    required = set(form.schema.get("required", []))
    fields = []
    for name, spec in form.schema.get("properties", {}).items():
        built = _field(name, spec, values.get(name), errors, name in required, locale)
        offered = (lists or {}).get(str(spec.get("x-choices-from", "")))
        if offered is not None:
            built.kind, built.choices = "select", offered
        fields.append(built)
    return fields


def _field(
    name: str, spec: dict[str, Any], value: Any, errors: dict[str, list[str]], required: bool, locale: str
) -> Field:
    choices = _choices(spec, locale)
    kind = _kind(spec, choices)
    if kind == "checklist":
        choices = _choices(spec.get("items", {}), locale)
    built = Field(
        name=name,
        kind=kind,
        label=localised(spec, "title", locale) or name,
        help=localised(spec, "description", locale),
        required=required,
        value="" if kind == "group" else _shown(value, kind),
        choices=choices,
        errors=list(errors.get(name, [])),
        max_length=spec.get("maxLength"),
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
    )
    if kind == "group":
        _fill_group(built, spec, value, errors, locale)
    return built


def _fill_group(
    group: Field, spec: dict[str, Any], value: Any, errors: dict[str, list[str]], locale: str
) -> None:
    """A group's rows: its items, then one empty row to add another (while under ``maxItems``)."""
    item_spec = spec["items"]
    items = [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
    count = max(len(items) + 1, spec.get("minItems", 1))
    count = min(count, max(spec.get("maxItems", MAX_ROWS), len(items), 1))
    group.required = group.required or spec.get("minItems", 0) > 0
    group.item_title = localised(item_spec, "title", locale)
    sub_required = set(item_spec.get("required", []))
    shown: set[str] = set()
    for index in range(count):
        item = items[index] if index < len(items) else {}
        row = []
        for sub, sub_spec in item_spec.get("properties", {}).items():
            key = f"{group.name}/{index}/{sub}"
            shown.add(key)
            needed = sub in sub_required and (index < len(items) or index < spec.get("minItems", 0))
            row.append(_field(f"{group.name}-{index}-{sub}", sub_spec, item.get(sub), {}, needed, locale))
            row[-1].errors = list(errors.get(key, []))
        group.rows.append(row)
    # an error on an item as a whole (or on a row no longer shown) is the group's
    for key, messages in errors.items():
        if key.startswith(group.name + "/") and key not in shown:
            group.errors.extend(messages)


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
        value = _parsed(PREFIX + name, spec, submitted)
        if value is not None:
            data[name] = value
    return data


def _parsed(key: str, spec: dict[str, Any], submitted: MultiDict[str, str]) -> Any:
    """One field's JSON value, or None when it was left empty."""
    kind = _kind(spec, _choices(spec, "bg"))
    if kind == "group":
        return _parsed_group(key, spec, submitted)
    if kind == "checklist":
        picked = [v for v in submitted.getlist(key) if v]
        return [_typed(spec.get("items", {}), v) for v in picked] if picked else None
    raw = submitted.get(key, "")
    if not raw.strip():
        return None
    if kind == "lines":
        lines = [line.strip() for line in raw.splitlines() if line.strip()]
        return [_typed(spec.get("items", {}), line) for line in lines]
    return _typed(spec, raw)


def _parsed_group(key: str, spec: dict[str, Any], submitted: MultiDict[str, str]) -> Any:
    """A group's items in the order of their row numbers; rows left entirely empty are dropped."""
    row_of = re.compile(re.escape(key) + r"-(\d{1,4})-")
    numbers = sorted({int(m.group(1)) for name in submitted if (m := row_of.match(name))})[:MAX_ROWS]
    items = []
    for number in numbers:
        item = {}
        for sub, sub_spec in spec["items"].get("properties", {}).items():
            value = _parsed(f"{key}-{number}-{sub}", sub_spec, submitted)
            if value is not None:
                item[sub] = value
        if item:
            items.append(item)
    return items or None


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
    rows: list[list[ShownValue]] = field(default_factory=list)  # a group's items, each its values
    item_title: str = ""


def shown_data(form: Form | None, data: dict[str, Any], locale: str, yes: str, no: str) -> list[ShownValue]:
    """Completed form data for reading: field titles and readable values, in the form's order."""
    if form is None:
        return [ShownValue(name, str(value)) for name, value in data.items()]
    properties = form.schema.get("properties", {})
    shown = _shown_values(properties, data, locale, yes, no)
    # data kept from an older version of the form (a field since renamed or moved) is still shown
    shown.extend(
        ShownValue(name, _readable({}, value, locale, yes, no))
        for name, value in data.items()
        if name not in properties
    )
    return shown


def _shown_values(
    properties: dict[str, Any], data: dict[str, Any], locale: str, yes: str, no: str
) -> list[ShownValue]:
    shown = []
    for name, spec in properties.items():
        if name not in data:
            continue
        label = localised(spec, "title", locale) or name
        value = data[name]
        if is_group(spec) and isinstance(value, list):
            item_spec = spec["items"]
            rows = [
                _shown_values(item_spec.get("properties", {}), item, locale, yes, no)
                for item in value
                if isinstance(item, dict)
            ]
            text = "\n".join("; ".join(f"{v.label}: {v.text}" for v in row) for row in rows)
            shown.append(ShownValue(label, text, rows, localised(item_spec, "title", locale)))
        else:
            shown.append(ShownValue(label, _readable(spec, value, locale, yes, no)))
    return shown


def _readable(spec: dict[str, Any], value: Any, locale: str, yes: str, no: str) -> str:
    if isinstance(value, bool):
        return yes if value else no
    if isinstance(value, list):
        item_spec = spec.get("items", {})
        return "; ".join(_readable(item_spec, item, locale, yes, no) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_readable({}, item, locale, yes, no)}" for key, item in value.items())
    if spec.get("format") == "date" and isinstance(value, str):
        return _shown_date(value, locale)
    names = {choice.value: choice.label for choice in _choices(spec, locale)}
    return names.get(str(value), str(value))


def _shown_date(value: str, locale: str) -> str:
    """A date answer as every other date on the pages (``show_date``: medium, in the reader's language)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return str(format_date(day, "medium", locale=locale))

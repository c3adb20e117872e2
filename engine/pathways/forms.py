"""Task forms: JSON Schema files in ``workflows/forms/``, looked up by key and validated with jsonschema.

A form's titles are Bulgarian (``title``, ``description``) with English alongside (``x-title-en``,
``x-description-en``). Validation errors come back per field as English message ids (declared here
with ``N_``); the web shows them in the reader's language through the Babel catalogues.

A field may be required only for some cases: ``"x-required-when": "age >= 14"`` is a safe expression
over the case's data and the form's own values; when it gives true, the field must be filled in (a
yes/no field: answered yes). A plan for a child of 14 or more is not saved without the child's
signature, whatever the form's other answers.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.expressions.syntax import check_expression
from engine.clock import SystemClock
from engine.errors import ExpressionError, NotFound, ValidationFailed

_KEY = re.compile(r"^[a-z0-9_]{1,80}$")
REQUIRED_WHEN = "x-required-when"


@dataclass(frozen=True)
class Form:
    key: str
    schema: dict[str, Any]

    @cached_property
    def validator(self) -> Draft202012Validator:
        return Draft202012Validator(self.schema, format_checker=FormatChecker())

    def title(self, locale: str = "bg") -> str:
        return localised(self.schema, "title", locale) or self.key

    def field_title(self, name: str, locale: str = "bg") -> str:
        spec = self.schema.get("properties", {}).get(name, {})
        return localised(spec, "title", locale) or name

    def required_when(self) -> dict[str, str]:
        """The fields required only for some cases, with the expression that says when."""
        return {
            name: str(spec[REQUIRED_WHEN])
            for name, spec in self.schema.get("properties", {}).items()
            if REQUIRED_WHEN in spec
        }

    def defaults(self) -> dict[str, Any]:
        """Each field's default: what a simulation fills in when no data is given."""
        return {
            name: spec["default"]
            for name, spec in self.schema.get("properties", {}).items()
            if "default" in spec
        }


def checked_form(key: str, schema: dict[str, Any]) -> Form:
    """A form whose schema is valid JSON Schema and whose ``x-required-when`` rules parse.

    jsonschema's SchemaError, or ExpressionError for a broken rule: it fails where the form is read.
    """
    Draft202012Validator.check_schema(schema)
    form = Form(key, schema)
    for expression in form.required_when().values():
        check_expression(expression)
    return form


def localised(spec: dict[str, Any], attr: str, locale: str) -> str:
    if locale != "bg":
        value = spec.get(f"x-{attr}-{locale}")
        if value:
            return str(value)
    return str(spec.get(attr, ""))


class FormCatalog:
    """The forms of one ``workflows/forms`` folder, read once and kept."""

    def __init__(self, forms_dir: Path) -> None:
        self.forms_dir = forms_dir
        self._forms: dict[str, Form] = {}

    def exists(self, key: str) -> bool:
        return bool(_KEY.match(key)) and (self.forms_dir / f"{key}.json").is_file()

    def get(self, key: str) -> Form:
        form = self._forms.get(key)
        if form is None:
            if not self.exists(key):
                raise NotFound(f"form '{key}' does not exist")
            form = checked_form(key, self.file_schema(key))
            self._forms[key] = form
        return form

    def file_schema(self, key: str) -> dict[str, Any]:
        """The shipped file's JSON Schema as written (NotFound when there is no such file)."""
        if not (bool(_KEY.match(key)) and (self.forms_dir / f"{key}.json").is_file()):
            raise NotFound(f"form '{key}' does not exist")
        schema = json.loads((self.forms_dir / f"{key}.json").read_text(encoding="utf-8"))
        if not isinstance(schema, dict):
            raise NotFound(f"form '{key}' is not a JSON object")
        return schema

    def keys(self) -> list[str]:
        return sorted(path.stem for path in self.forms_dir.glob("*.json"))

    def validate(self, key: str, data: Any, case_data: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data if valid; otherwise ValidationFailed with messages per field (English message ids
        of :data:`MESSAGES`, which the web shows in the reader's language).

        ``case_data`` (what the case knows when the task is done) decides the fields required only
        for some cases; without it those rules are not checked (a draft, a preview).
        """
        form = self.get(key)
        if not isinstance(data, dict):
            raise ValidationFailed("form data must be an object", {"data": ["must be an object"]})
        errors = sorted(form.validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        fields = _field_errors(form, errors)
        for name in _out_of_range(data):
            fields.setdefault(name, []).append(TOO_LARGE)
        for name in _required_here(form, data, case_data):
            fields.setdefault(name, []).append(REQUIRED_HERE)
        if fields:
            raise ValidationFailed("the form has errors", fields)
        return data


def _required_here(form: Form, data: dict[str, Any], case_data: dict[str, Any] | None) -> list[str]:
    """The fields this case requires (``x-required-when``) that are empty or answered no."""
    if case_data is None:
        return []
    names = {**case_data, **data}
    evaluator = Evaluator(SystemClock())
    missing = []
    for name, expression in form.required_when().items():
        try:
            required = evaluator.evaluate(expression, names)
        except ExpressionError:
            continue  # the case lacks what the rule reads (no age known): the rule does not apply
        if required and data.get(name) in (None, "", False, []):
            missing.append(name)
    return missing


# The largest whole number every reader of case data keeps exactly (JSON in browsers, PostgreSQL's
# jsonb, expressions): a form field's number beyond it, or not finite, is refused at the edge.
MAX_NUMBER = 2**53 - 1


def _out_of_range(data: dict[str, Any]) -> list[str]:
    """The fields holding a number (or a list or group of them) beyond ``±MAX_NUMBER``, NaN or infinite."""
    return [str(name) for name, value in data.items() if any(_beyond(item) for item in _scalars(value))]


def _scalars(value: Any) -> list[Any]:
    """A field's value with its lists and a group's items opened up (one level of each)."""
    items = value if isinstance(value, list) else [value]
    return [part for item in items for part in (item.values() if isinstance(item, dict) else [item])]


def _beyond(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return True
    return abs(value) > MAX_NUMBER  # no float() of the int: a long one would overflow


def _field_errors(form: Form, errors: list[ValidationError]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        name = _field_of(form, error)
        fields.setdefault(name, []).append(_message(error))
    return fields


def _field_of(form: Form, error: ValidationError) -> str:
    """The field an error belongs to: a property's name, or ``goals/0/responsible`` inside a group."""
    path = [str(part) for part in error.absolute_path]
    if error.validator in ("required", "additionalProperties"):
        named = re.findall(r"'([^']+)'", error.message)
        if not named:
            return "/".join(path) or "_form"
        path.append(named[0])
    if not path:
        return "_form"
    spec = form.schema.get("properties", {}).get(path[0], {})
    if is_group(spec):
        return "/".join(path[:3])
    return path[0]


def is_group(spec: Any) -> bool:
    """Whether a property is a repeating group: a list of objects, each with its own fields."""
    return (
        isinstance(spec, dict)
        and spec.get("type") == "array"
        and isinstance(spec.get("items"), dict)
        and spec["items"].get("type") == "object"
    )


def N_(text: str) -> str:
    """Marks a message id for the catalogues; translated where it is shown (web/), not here."""
    return text


# A field's error by the JSON Schema keyword that failed: English message ids (the web translates them).
REQUIRED = N_("This field is required.")
REQUIRED_HERE = N_("Required for this case.")
INVALID = N_("Invalid value.")
CHOOSE = N_("Choose one of the options.")
TOO_LARGE = N_("The value is too large.")
MESSAGES = {
    "required": REQUIRED,
    "additionalProperties": N_("Unknown field."),
    "type": INVALID,
    "format": N_("Invalid format."),
    "maxLength": N_("The text is too long."),
    "minLength": REQUIRED,
    "oneOf": CHOOSE,
    "enum": CHOOSE,
    "minimum": N_("The value is too small."),
    "maximum": TOO_LARGE,
    "maxItems": N_("Too many items."),
    "minItems": N_("Too few items."),
}


def _message(error: ValidationError) -> str:
    return MESSAGES.get(str(error.validator), INVALID)

"""The studio's form builder: a coordinator's draft of a form, its verdict, and the forms in use.

Saving a draft never deploys it: the draft is published as a new form version by the next deploy of a
pathway that uses the form (:func:`engine.pathways.form_versions.resolve`), so a form change reaches
new cases together with a pathway version and never a running case. A draft is stored whatever its
verdict (the builder keeps unfinished work); a draft with errors cannot be deployed. One of the errors:
the draft drops a field that an expression of a deployed pathway using the form reads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select

from engine.audit.chain import record
from engine.bpmn import state
from engine.bpmn.expressions.syntax import check_expression
from engine.bpmn.field_reads import first_reading, form_keys_of
from engine.bpmn.parsing import ParsedPathway
from engine.errors import ExpressionError, FileTooLarge, NotFound, ValidationFailed
from engine.pathways.form_versions import (
    find_form_draft,
    latest_form_version,
    schema_text,
    sha_of,
    shipped,
)
from engine.pathways.forms import REQUIRED_WHEN, FormCatalog, localised
from engine.people.permissions import Principal, can_edit_pathway, can_read_studio, require
from engine.store.models import FormDraft, Pathway, PathwayVersion, User
from engine.store.uow import UnitOfWork

ONLY_EDITORS = "only a coordinator edits forms"
ONLY_READERS = "only coordinators and managers use the form builder"
FORM_KEY = re.compile(r"^[a-z0-9_]{1,80}$")
FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,79}$")
MAX_SCHEMA_BYTES = 200_000
MAX_FIELDS = 200


def N_(text: str) -> str:
    """Marks a message id for the catalogues; translated where it is shown."""
    return text


# The kinds of expression that read a field, as a problem names them (translated where shown).
READING_KINDS = {
    "condition": N_("a condition"),
    "script": N_("a script"),
    "timer": N_("a timer"),
    "due": N_("a due date"),
    "item_label": N_("an item label"),
}


@dataclass(frozen=True)
class FormProblem:
    """One problem of a form draft: ``template`` is a message id, filled in with ``values``."""

    field: str
    severity: str
    code: str
    template: str
    values: dict[str, str] = dataclass_field(default_factory=dict)

    @property
    def english(self) -> str:
        return self.template % self.values if self.values else self.template


@dataclass(frozen=True)
class FormDraftView:
    key: str
    schema: dict[str, Any]
    source: str  # draft | version | file | new
    version: int | None  # the latest deployed version of the form
    author: str
    saved_at: datetime | None
    problems: list[FormProblem]

    @property
    def verdict(self) -> str:
        return "invalid" if any(p.severity == "error" for p in self.problems) else "valid"


def check_key(key: str) -> None:
    if not FORM_KEY.match(key):
        raise NotFound(f"no form '{key[:80]}'")


def deployed_schema(uow: UnitOfWork, key: str, files: FormCatalog) -> dict[str, Any] | None:
    """The form as deployed now: its latest version, or the shipped file before any deploy."""
    latest = latest_form_version(uow, key)
    if latest is not None:
        return dict(json.loads(latest.schema_json))
    files = shipped(files)
    return files.file_schema(key) if files.exists(key) else None


def latest_bundles(uow: UnitOfWork) -> dict[str, ParsedPathway]:
    """The latest deployed version of every pathway, parsed: what runs new cases."""
    newest = select(PathwayVersion.pathway_id, func.max(PathwayVersion.version).label("v")).group_by(
        PathwayVersion.pathway_id
    )
    sub = newest.subquery()
    rows = uow.session.execute(
        select(Pathway.key, PathwayVersion.spec_json)
        .join(PathwayVersion, PathwayVersion.pathway_id == Pathway.id)
        .join(sub, (PathwayVersion.pathway_id == sub.c.pathway_id) & (PathwayVersion.version == sub.c.v))
        .order_by(Pathway.key)
    ).all()
    return {key: state.load_spec(spec) for key, spec in rows}


def draft_problems(
    uow: UnitOfWork,
    key: str,
    schema: Any,
    files: FormCatalog,
    deploying: ParsedPathway | None = None,
) -> list[FormProblem]:
    """Every problem of a draft; ``deploying`` is a pathway about to be deployed with it (it replaces
    that pathway's latest version among those whose expressions must keep their fields)."""
    if (
        not isinstance(schema, dict)
        or schema.get("type") != "object"
        or not isinstance(schema.get("properties"), dict)
    ):
        return [
            FormProblem(
                "_form",
                "error",
                "not_a_form",
                N_('a form is a JSON object with "type": "object" and "properties"'),
            )
        ]
    problems = _schema_problems(schema)
    problems.extend(_text_problems(schema))
    problems.extend(_in_use(uow, key, schema, files, deploying))
    return problems


def _schema_problems(schema: dict[str, Any]) -> list[FormProblem]:
    problems: list[FormProblem] = []
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        parts = [str(part) for part in error.absolute_path]
        named = [parts[i + 1] for i in range(len(parts) - 1) if parts[i] == "properties"]
        where = "/".join(named) or "_form"  # the field (goals/goal inside a group) the error is in
        problems.append(
            FormProblem(
                where,
                "error",
                "schema_invalid",
                N_("not valid JSON Schema: %(detail)s"),
                {"detail": error.message[:200]},
            )
        )
    properties = schema["properties"]
    if len(properties) > MAX_FIELDS:
        problems.append(
            FormProblem(
                "_form",
                "error",
                "too_many_fields",
                N_("at most %(limit)s fields"),
                {"limit": str(MAX_FIELDS)},
            )
        )
    for name, spec in properties.items():
        if not isinstance(spec, dict):
            problems.append(
                FormProblem(
                    str(name)[:80], "error", "field_invalid", N_("a field is a JSON object: its schema")
                )
            )
        if not FIELD_NAME.match(str(name)):
            problems.append(
                FormProblem(
                    str(name)[:80],
                    "error",
                    "field_name_invalid",
                    N_("a field's name is lower-case letters, digits and _, starting with a letter"),
                )
            )
        rule = spec.get(REQUIRED_WHEN) if isinstance(spec, dict) else None
        if rule is not None:
            try:
                check_expression(str(rule))
            except ExpressionError as error:
                problems.append(
                    FormProblem(
                        str(name),
                        "error",
                        "rule_invalid",
                        N_("the rule 'required when' is invalid: %(detail)s"),
                        {"detail": error.message[:200]},
                    )
                )
    return problems


def _text_problems(schema: dict[str, Any]) -> list[FormProblem]:
    """The titles: Bulgarian for every form and field, English alongside (warnings)."""
    problems: list[FormProblem] = []
    items = [("_form", schema)] + [
        (str(n), s) for n, s in schema["properties"].items() if isinstance(s, dict)
    ]
    for name, spec in items:
        if not localised(spec, "title", "bg"):
            problems.append(FormProblem(name, "warning", "title_missing", N_("no Bulgarian title")))
        elif not spec.get("x-title-en"):
            problems.append(FormProblem(name, "warning", "title_en_missing", N_("no English title")))
    return problems


def _in_use(
    uow: UnitOfWork, key: str, schema: dict[str, Any], files: FormCatalog, deploying: ParsedPathway | None
) -> list[FormProblem]:
    before = deployed_schema(uow, key, files)
    if before is None:
        return []
    dropped = [name for name in before.get("properties", {}) if name not in schema["properties"]]
    if not dropped:
        return []
    bundles = latest_bundles(uow)
    if deploying is not None:
        bundles[deploying.process_id] = deploying
    problems = []
    for name in dropped:
        for pathway_key, parsed in sorted(bundles.items()):
            if key not in form_keys_of(parsed):
                continue
            reading = first_reading(parsed, name)
            if reading is not None:
                problems.append(
                    FormProblem(
                        name,
                        "error",
                        "field_in_use",
                        N_(
                            "the field '%(field)s' is read by %(element)s of the pathway %(pathway)s "
                            "(%(kind)s); it cannot be removed"
                        ),
                        {
                            "field": name,
                            "element": reading.element_id,
                            "pathway": pathway_key,
                            "kind": reading.kind,
                        },
                    )
                )
                break
    return problems


def save_form_draft(
    uow: UnitOfWork, who: Principal, key: str, body: bytes, files: FormCatalog
) -> FormDraftView:
    """Store the draft of a form (replacing the previous one) and give its verdict.

    A body that is not JSON, or too large, is refused and nothing is stored (ValidationFailed names
    ``schema``); a JSON object with problems is stored and comes back with them.
    """
    require(can_edit_pathway(who), ONLY_EDITORS)
    schema = _body_schema(key, body)
    text = schema_text(schema)

    now = uow.clock.now()
    draft = find_form_draft(uow, key)
    if draft is None:
        draft = FormDraft(key=key, schema_json="", sha256="", saved_at=now)
        uow.session.add(draft)
    draft.schema_json, draft.sha256, draft.saved_at, draft.author_id = text, sha_of(text), now, who.user_id
    uow.session.flush()
    problems = draft_problems(uow, key, schema, files)
    record(
        uow.session,
        now,
        who,
        "form.draft_save",
        subject=key,
        detail={"sha256": draft.sha256, "problems": len(problems)},
    )
    return _view(uow, key, schema, "draft", draft, problems)


def _body_schema(key: str, body: bytes) -> dict[str, Any]:
    """A request's body as a form's JSON Schema: refused (nothing stored) when it is not even that."""
    check_key(key)
    if len(body) > MAX_SCHEMA_BYTES:
        raise FileTooLarge("the form is too large", {"schema": [f"at most {MAX_SCHEMA_BYTES} bytes"]})
    try:
        schema = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise MalformedForm("the body is not JSON", {"schema": ["not JSON"]}) from error
    if not isinstance(schema, dict):
        raise ValidationFailed("a form is a JSON object", {"schema": ["must be an object"]})
    return schema


def unsaved_preview(
    uow: UnitOfWork, who: Principal, key: str, body: bytes, files: FormCatalog
) -> dict[str, Any]:
    """The schema the builder is editing, to be rendered as it stands (the live preview): nothing is
    stored. ValidationFailed when the renderer cannot draw it (its problems say why)."""
    require(can_edit_pathway(who), ONLY_EDITORS)
    schema = _body_schema(key, body)
    problems = [p for p in draft_problems(uow, key, schema, files) if p.code in _UNRENDERABLE]
    if problems:
        raise ValidationFailed("the preview cannot show this draft", {p.field: [p.english] for p in problems})
    return schema


class MalformedForm(ValidationFailed):
    """A body that is not JSON at all: a 400, not a verdict."""

    code = "malformed_body"


def get_form_draft(uow: UnitOfWork, who: Principal, key: str, files: FormCatalog) -> FormDraftView:
    """The draft, or (no draft) the form as deployed now, ready to start one; 404 for an unknown form."""
    require(can_read_studio(who), ONLY_READERS)
    check_key(key)
    draft = find_form_draft(uow, key)
    if draft is not None:
        schema = json.loads(draft.schema_json)
        return _view(uow, key, schema, "draft", draft, draft_problems(uow, key, schema, files))
    schema = deployed_schema(uow, key, files)
    if schema is None:
        raise NotFound(f"no form '{key}'")
    source = "version" if latest_form_version(uow, key) is not None else "file"
    return _view(uow, key, schema, source, None, draft_problems(uow, key, schema, files))


def _view(
    uow: UnitOfWork, key: str, schema: Any, source: str, draft: FormDraft | None, problems: list[FormProblem]
) -> FormDraftView:
    author = uow.session.get(User, draft.author_id) if draft is not None and draft.author_id else None
    latest = latest_form_version(uow, key)
    return FormDraftView(
        key,
        schema if isinstance(schema, dict) else {},
        source,
        latest.version if latest else None,
        author.username if author else ("system" if draft is not None else ""),
        draft.saved_at if draft is not None else None,
        problems,
    )


def preview_schema(
    uow: UnitOfWork, who: Principal, key: str, files: FormCatalog
) -> tuple[str, dict[str, Any]]:
    """The form to preview: the draft when it is valid JSON Schema, else as deployed now."""
    view = get_form_draft(uow, who, key, files)
    if view.source == "draft" and not any(p.code in _UNRENDERABLE for p in view.problems):
        return key, view.schema
    schema = deployed_schema(uow, key, files)
    if schema is None:
        raise ValidationFailed("the draft cannot be shown: fix its problems first", {"schema": ["invalid"]})
    return key, schema


_UNRENDERABLE = {"not_a_form", "schema_invalid", "rule_invalid", "field_invalid"}

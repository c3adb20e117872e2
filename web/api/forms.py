"""``/api/v1/forms``: the form builder's API — the forms, a form's draft and its live preview.

Coordinators (of any centre) save drafts; managers read them (they approve deploys); case workers
do neither. A draft is never deployed by saving: the next deploy of a pathway that uses the form
publishes it (docs/pathway-authoring.md). The builder page (``/forms/<key>/edit``) calls these same
endpoints with the session cookie.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from marshmallow import Schema, fields
from webargs.flaskparser import abort

from engine.pathways import form_drafts, form_list
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.schemas import Instant
from web.db import current_services, reads_only, request_uow
from web.form_preview import preview_html, problem_json
from web.i18n import locale

blp = api_blueprint("forms", "The form builder: forms, drafts and their preview")
KEY = "<key>"


class FormProblemSchema(Schema):
    field = fields.String(
        required=True, metadata={"description": "the field's name (goals/goal inside a group), or _form"}
    )
    severity = fields.String(required=True, metadata={"description": "error (blocks a deploy) or warning"})
    code = fields.String(
        required=True,
        metadata={
            "description": "stable kind: schema_invalid, field_in_use, field_name_invalid, title_missing…"
        },
    )
    message = fields.String(required=True, metadata={"description": "in the caller's language"})


class FormVerdictSchema(Schema):
    verdict = fields.String(required=True, metadata={"description": "valid or invalid"})
    problems = fields.List(fields.Nested(FormProblemSchema), required=True)


class FormDraftSchema(FormVerdictSchema):
    key = fields.String(required=True)
    schema = fields.Dict(required=True, metadata={"description": "the JSON Schema"})
    source = fields.String(
        required=True,
        metadata={"description": "draft, or (no draft yet) version or file: where the schema comes from"},
    )
    version = fields.Integer(allow_none=True, metadata={"description": "the latest deployed version"})
    author = fields.String(required=True, metadata={"description": "who saved the draft ('' for none)"})
    saved_at = Instant(allow_none=True)


class FormInfoSchema(Schema):
    key = fields.String(required=True)
    title = fields.String(required=True, metadata={"description": "in the caller's language"})
    version = fields.Integer(allow_none=True, metadata={"description": "latest deployed version, if any"})
    has_draft = fields.Boolean(required=True)
    used_by = fields.List(fields.String(), required=True, metadata={"description": "pathways using it"})


class FormListSchema(Schema):
    items = fields.List(fields.Nested(FormInfoSchema), required=True)


def draft_json(view: form_drafts.FormDraftView) -> dict[str, Any]:
    return {
        "key": view.key,
        "schema": view.schema,
        "source": view.source,
        "version": view.version,
        "author": view.author,
        "saved_at": view.saved_at,
        "verdict": view.verdict,
        "problems": [problem_json(problem) for problem in view.problems],
    }


@blp.get("/forms")
@blp.response(200, FormListSchema)
@errors(blp, 403)
@reads_only
def list_forms() -> dict[str, Any]:
    """Every form: shipped, deployed or drafted, with the pathways whose latest version uses it."""
    infos = form_list.list_forms(request_uow(), caller(), current_services().forms)
    english = locale() == "en"
    return {
        "items": [
            {
                "key": info.key,
                "title": info.title_en if english else info.title,
                "version": info.version,
                "has_draft": info.has_draft,
                "used_by": info.used_by,
            }
            for info in infos
        ]
    }


@blp.get(f"/forms/{KEY}/draft")
@blp.response(200, FormDraftSchema)
@errors(blp, 403, 404)
@reads_only
def get_draft(key: str) -> Response:
    """The form's draft with its verdict; without a draft, the form as deployed now (``source``).

    The schema keeps its fields in their order (the order on the page), which Flask's JSON would sort.
    """
    view = form_drafts.get_form_draft(request_uow(), caller(), key, current_services().forms)
    body = FormDraftSchema().dump(draft_json(view))
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")


@blp.put(f"/forms/{KEY}/draft")
@blp.doc(
    requestBody={
        "required": True,
        "description": f"the form's JSON Schema (at most {form_drafts.MAX_SCHEMA_BYTES} bytes)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
)
@blp.response(200, FormVerdictSchema)
@errors(blp, 400, 403, 404, 413, 415, 422)
def put_draft(key: str) -> dict[str, Any]:
    """Save the form's draft (coordinators). Answers 200 with the verdict even when the draft is invalid;
    a body that is not JSON is a 400, one that is not a JSON object a 422."""
    if not request.is_json:
        abort(415, message="send the form as application/json")
    view = form_drafts.save_form_draft(
        request_uow(), caller(), key, request.get_data(), current_services().forms
    )
    return {"verdict": view.verdict, "problems": [problem_json(problem) for problem in view.problems]}


@blp.get(f"/forms/{KEY}/preview")
@blp.response(200, description="an HTML fragment: the form as case workers see it", content_type="text/html")
@errors(blp, 403, 404, 422)
@reads_only
def preview(key: str) -> Response:
    """The draft rendered by the task page's renderer (the latest version when there is no draft)."""
    name, schema = form_drafts.preview_schema(request_uow(), caller(), key, current_services().forms)
    return Response(preview_html(name, schema), mimetype="text/html")


@blp.post(f"/forms/{KEY}/preview")
@blp.doc(
    requestBody={
        "required": True,
        "description": "a form's JSON Schema as the builder holds it (nothing is stored)",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
)
@blp.response(200, description="an HTML fragment: the form as case workers see it", content_type="text/html")
@errors(blp, 400, 403, 404, 413, 415, 422)
@reads_only
def live_preview(key: str) -> Response:
    """Render a schema without saving it: the builder's live preview, as the user types (coordinators)."""
    if not request.is_json:
        abort(415, message="send the form as application/json")
    schema = form_drafts.unsaved_preview(
        request_uow(), caller(), key, request.get_data(), current_services().forms
    )
    return Response(preview_html(key, schema), mimetype="text/html")

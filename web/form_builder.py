"""The form builder's pages: the list of forms (``/forms``) and the builder of one (``/forms/<key>/edit``).

The builder is drawn in the browser (``web/assets/forms_builder.js``); it talks to the form API
(``web/api/forms.py``) with the session cookie: the live preview is rendered by the server with the
task page's renderer. Permission checks are the engine's, as for the API.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from jinja2.utils import htmlsafe_json_dumps

from engine.errors import NotFound
from engine.pathways import form_drafts, form_list
from engine.pathways.forms import localised
from engine.people.permissions import can_edit_pathway, require
from web.db import current_services, reads_only, request_uow
from web.form_preview import problem_json
from web.i18n import locale
from web.security import current_principal, require_sign_in

bp = Blueprint("form_builder", __name__)
bp.before_request(require_sign_in)


@bp.get("/forms")
@reads_only
def index() -> Any:
    who = current_principal()
    require(can_edit_pathway(who), form_drafts.ONLY_EDITORS)
    forms = form_list.list_forms(request_uow(), who, current_services().forms)
    return render_template("forms.html", forms=forms, english=locale() == "en")


@bp.get("/forms/new")
@reads_only
def new() -> Any:
    """A new form's key, from the list page's small form: its builder opens with an empty form."""
    require(can_edit_pathway(current_principal()), form_drafts.ONLY_EDITORS)
    key = request.args.get("key", "").strip().lower()[:80]
    if not form_drafts.FORM_KEY.match(key):
        return render_template("forms.html", forms=[], english=locale() == "en", key_error=True), 422
    return redirect(url_for("form_builder.edit", key=key))


def _empty(key: str) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "",
        "x-title-en": "",
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


@bp.get("/forms/<key>/edit")
@reads_only
def edit(key: str) -> Any:
    who = current_principal()
    require(can_edit_pathway(who), form_drafts.ONLY_EDITORS)
    if not form_drafts.FORM_KEY.match(key):
        abort(404)
    try:
        view = form_drafts.get_form_draft(request_uow(), who, key, current_services().forms)
        schema, source, problems = view.schema, view.source, [problem_json(p) for p in view.problems]
        version, author, saved_at = view.version, view.author, view.saved_at
    except NotFound:
        schema, source, problems, version, author, saved_at = _empty(key), "new", [], None, "", None
    used_by = next(
        (info.used_by for info in form_list.list_forms(request_uow(), who, current_services().forms)
         if info.key == key),
        [],
    )  # fmt: skip
    builder = {
        "key": key,
        "locale": locale(),
        "source": source,
        "problems": problems,
        "draft_api": url_for("api_forms.get_draft", key=key),
        "preview_api": url_for("api_forms.live_preview", key=key),
    }
    return render_template(
        "form_builder.html",
        key=key,
        builder=builder,
        schema_json=htmlsafe_json_dumps(schema, dumps=json.dumps),  # not |tojson: it sorts the fields
        form_title=localised(schema, "title", locale()) or key,
        source=source,
        version=version,
        author=author,
        saved_at=saved_at,
        used_by=used_by,
    )

"""Pathways for coordinators: what is deployed, and uploading a new version of a diagram."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import PathwayInvalid, ValidationFailed
from engine.pathways.versions import pathway_catalogue, upload_pathway
from web.db import current_services, discard_changes, reads_only, request_uow
from web.field_messages import translated
from web.security import current_principal, require_sign_in
from web.studio_text import problem_json

bp = Blueprint("pathways", __name__)
bp.before_request(require_sign_in)


def _render(
    problems: list[Any] | None = None, errors: dict[str, list[str]] | None = None, status: int = 200
) -> Any:
    pathways = pathway_catalogue(request_uow(), current_principal())
    page = render_template("pathways.html", pathways=pathways, problems=problems or [], errors=errors or {})
    return page, status


@bp.get("/pathways")
@reads_only
def index() -> Any:
    return _render()


@bp.post("/pathways")
def upload() -> Any:
    upload_file = request.files.get("file")
    data = upload_file.read() if upload_file is not None else b""
    filename = (upload_file.filename or "") if upload_file is not None else ""
    try:
        version = upload_pathway(request_uow(), current_principal(), data, filename, current_services().forms)
    except PathwayInvalid as error:
        discard_changes()
        # Each problem in the reader's language, as the studio shows it (engine texts are English ids).
        return _render(problems=[problem_json(problem) for problem in error.problems], status=422)
    except ValidationFailed as error:
        discard_changes()
        return _render(errors=translated(error.fields), status=422)
    flash(
        _("Version %(version)d of %(key)s is deployed.", version=version.version, key=version.process_id),
        "success",
    )
    return redirect(url_for("pathways.index"))

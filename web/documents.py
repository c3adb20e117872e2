"""A case's outgoing documents for ДСП and ОЗД: generate one (``POST /cases/<id>/documents``, the kind
chosen) and download it (``/documents/<id>``), always as a PDF attachment, never shown as a page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from engine.casework.documents import service
from engine.casework.documents.kinds import KINDS
from engine.errors import ValidationFailed
from web.case_file import file_response
from web.db import current_services, discard_changes, request_uow
from web.security import current_principal, require_sign_in

bp = Blueprint("documents", __name__)
bp.before_request(require_sign_in)
REASONS = frozenset(kind.missing for kind in KINDS)  # why a kind cannot be generated yet (msgids)


@bp.post("/cases/<case_id>/documents")
def generate(case_id: str) -> Any:
    services = current_services()
    kind = request.form.get("kind", "")[:60]
    try:
        document = service.generate(
            request_uow(), current_principal(), services.file_store, services.forms, case_id, kind
        )
    except ValidationFailed as error:
        discard_changes()
        for text in error.fields.get("kind", []):
            reason = _(text) if text in REASONS else _("Choose one of the kinds offered.")
            flash(f"{_('Kind of document')}: {reason}", "error")
        return redirect(url_for("cases.show", case_id=case_id, _anchor="outgoing-heading"))
    flash(_("Document %(number)s is generated.", number=document.number), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="outgoing-heading"))


@bp.get("/documents/<document_id>")
def download(document_id: str) -> Any:
    found = service.download(request_uow(), current_principal(), current_services().file_store, document_id)
    return file_response(found, "attachment")

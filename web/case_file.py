"""The case file's notes and documents: write and edit a note, attach a document, download it.

Documents are never shown in the page: a download is an attachment with its checked media type,
``nosniff`` and a sandboxing Content-Security-Policy; only the PNG previews Casepath made itself are
shown as images.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from engine.casework import attachments, file_checks, notes
from engine.clock import parse_instant
from engine.errors import FileTooLarge, ValidationFailed
from web.db import current_services, discard_changes, request_uow
from web.field_messages import message
from web.security import current_principal, require_sign_in

bp = Blueprint("case_file", __name__)
bp.before_request(require_sign_in)
FORM_OVERHEAD = 256 * 1024  # what a multipart form adds to the file itself


@bp.post("/cases/<case_id>/notes")
def add_note(case_id: str) -> Any:
    try:
        notes.add_note(request_uow(), current_principal(), case_id, note_input())
    except ValidationFailed as error:
        return refused(case_id, error, "notes")
    flash(_("The note is saved."), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="notes-heading"))


@bp.post("/cases/<case_id>/notes/<note_id>")
def edit_note(case_id: str, note_id: str) -> Any:
    try:
        entry = note_input()
        change = notes.NoteChange(entry.kind, entry.body, entry.noted_at, request.form.get("task_id"))
        notes.edit_note(request_uow(), current_principal(), case_id, note_id, change)
    except ValidationFailed as error:
        return refused(case_id, error, "notes")
    flash(_("The note is changed; the earlier text is kept."), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor=f"note-{note_id}"))


def note_input() -> notes.NoteInput:
    form = request.form
    return notes.NoteInput(
        kind=form.get("kind", ""),
        body=form.get("body", "")[: notes.MAX_BODY + 1],
        visibility=form.get("visibility", "staff"),
        noted_at=noted_at(form.get("noted_at", "")),
        task_id=form.get("task_id", "")[:40],
    )


def noted_at(text: str) -> Any:
    if not text.strip():
        return None
    try:
        return parse_instant(text[:40])
    except ValueError:
        raise ValidationFailed("the note has errors", {"noted_at": [notes.NOT_A_DATE]}) from None


@bp.post("/cases/<case_id>/attachments")
def attach(case_id: str) -> Any:
    try:
        upload = read_upload()
        attachments.add_attachment(
            request_uow(),
            current_principal(),
            current_services().file_store,
            current_services().settings.attachment_max_bytes,
            case_id,
            upload,
        )
    except ValidationFailed as error:
        return refused(case_id, error, "attachments")
    flash(_("The document is attached."), "success")
    return redirect(url_for("cases.show", case_id=case_id, _anchor="attachments-heading"))


UPLOAD_ENDPOINTS = frozenset({"case_file.attach", "api_case_file.attach"})


def admit_upload() -> None:
    """``before_request``: an attachment's request may be as large as the configured document size
    (other requests keep the app's limit); a body announced larger is refused at once, naming the field."""
    if request.endpoint not in UPLOAD_ENDPOINTS:
        return
    limit = current_services().settings.attachment_max_bytes
    request.max_content_length = limit + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit + FORM_OVERHEAD:
        raise _too_large(limit)


def _too_large(limit: int) -> FileTooLarge:
    return FileTooLarge(
        f"the file is larger than {limit // (1024 * 1024)} MB", {"file": [file_checks.TOO_LARGE]}
    )


def read_upload() -> attachments.Upload:
    """The form's document; a body over the configured size is refused before it is read whole."""
    limit = current_services().settings.attachment_max_bytes
    request.max_content_length = limit + FORM_OVERHEAD
    try:
        file = request.files.get("file")
        kind = request.form.get("kind", "")
    except RequestEntityTooLarge:
        raise _too_large(limit) from None
    if file is None or not file.filename:
        raise ValidationFailed("the document has errors", {"file": [notes.REQUIRED]})
    return attachments.Upload(kind=kind, filename=file.filename, data=file.read(limit + 1))


def refused(case_id: str, error: ValidationFailed, section: str) -> Any:
    """Back to the case page with what was wrong, field by field; nothing of the attempt is kept."""
    discard_changes()
    for name, messages in error.fields.items():
        for text in messages:
            flash(f"{field_label(name)}: {message(text)}", "error")
    return redirect(url_for("cases.show", case_id=case_id, _anchor=f"{section}-heading"))


def field_label(name: str) -> str:
    labels = {
        "kind": _("Kind"),
        "body": _("Text"),
        "visibility": _("Who may read it"),
        "noted_at": _("When"),
        "task_id": _("Task"),
        "file": _("File"),
    }
    return str(labels.get(name, name))


@bp.get("/attachments/<attachment_id>")
def download(attachment_id: str) -> Any:
    found = attachments.download(
        request_uow(), current_principal(), current_services().file_store, attachment_id
    )
    return file_response(found, "attachment")


@bp.get("/attachments/<attachment_id>/preview")
def preview(attachment_id: str) -> Any:
    found = attachments.download(
        request_uow(), current_principal(), current_services().file_store, attachment_id, preview=True
    )
    return file_response(found, "inline")


def file_response(found: attachments.Download, disposition: str) -> Response:
    """A document as a download: its checked type, never sniffed, never run as a page."""
    response = Response(found.data, mimetype=found.media_type)
    ascii_name = found.title.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(found.title)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

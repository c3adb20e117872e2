"""``/api/v1/cases/{id}/notes`` and ``/api/v1/cases/{id}/attachments``: the case file's notes and
documents, with the same permissions as the case (a therapy note only for the centre's psychologists).
"""

from __future__ import annotations

from typing import Any

from engine.casework import attachments, notes
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.schemas import (
    AttachmentListSchema,
    AttachmentSchema,
    NoteInSchema,
    NoteListSchema,
    NotePatchSchema,
    NoteSchema,
)
from web.case_file import file_response, read_upload
from web.db import current_services, request_uow

blp = api_blueprint("case_file", "The case file: notes and documents")

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["kind", "file"],
                "properties": {
                    "kind": {"type": "string", "enum": list(attachments.KINDS)},
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": "PDF, PNG, JPEG, DOCX, XLSX or ODT, judged by its content; "
                        "at most CASEPATH_UPLOAD_MAX_MB (20 MB unless configured)",
                    },
                },
            }
        }
    },
}
FILE_RESPONSE = {
    "200": {
        "description": "the document, as an attachment (never shown inline)",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@blp.get("/cases/<case_id>/notes")
@blp.response(200, NoteListSchema)
@errors(blp, 404)
def list_notes(case_id: str) -> dict[str, Any]:
    """The case's notes the caller may read, newest first, with their earlier texts. Audited as a read."""
    return {"items": notes.read_notes(request_uow(), caller(), case_id)}


@blp.post("/cases/<case_id>/notes")
@blp.arguments(NoteInSchema)
@blp.response(201, NoteSchema)
@errors(blp, 404, 409, 422)
def add_note(body: dict[str, Any], case_id: str) -> notes.NoteView:
    """Write a dated note: `visibility` psychologist (a therapy note) only for the centre's psychologists."""
    who, uow = caller(), request_uow()
    note = notes.add_note(uow, who, case_id, notes.NoteInput(**body))
    return notes.read_note(uow, who, case_id, note.public_id)


@blp.patch("/cases/<case_id>/notes/<note_id>")
@blp.arguments(NotePatchSchema)
@blp.response(200, NoteSchema)
@errors(blp, 403, 404, 409, 422)
def edit_note(body: dict[str, Any], case_id: str, note_id: str) -> notes.NoteView:
    """Its author changes a note; the earlier text is kept (`revisions`). The visibility never changes."""
    who, uow = caller(), request_uow()
    notes.edit_note(uow, who, case_id, note_id, notes.NoteChange(**body))
    return notes.read_note(uow, who, case_id, note_id)


@blp.get("/cases/<case_id>/attachments")
@blp.response(200, AttachmentListSchema)
@errors(blp, 404)
def list_attachments(case_id: str) -> dict[str, Any]:
    """The case's documents, newest first. Audited as a read."""
    return {"items": attachments.read_attachments(request_uow(), caller(), case_id)}


@blp.post("/cases/<case_id>/attachments")
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, AttachmentSchema)
@errors(blp, 400, 404, 409, 413, 422)
def attach(case_id: str) -> attachments.AttachmentView:
    """Attach a document (multipart: `kind`, `file`). 400 `file_refused` when the content is not an
    accepted kind (HTML, SVG, scripts, a crafted archive …), 413 `too_large` over the size limit; both
    name the field `file`."""
    who, uow, services = caller(), request_uow(), current_services()
    upload = read_upload()
    added = attachments.add_attachment(
        uow, who, services.file_store, services.settings.attachment_max_bytes, case_id, upload
    )
    return attachments.find_attachment(uow, added.public_id)


@blp.get("/attachments/<attachment_id>")
@blp.doc(responses=FILE_RESPONSE)
@errors(blp, 404)
def download(attachment_id: str) -> Any:
    """The document's bytes with its checked type, as an attachment; each download is audited."""
    found = attachments.download(request_uow(), caller(), current_services().file_store, attachment_id)
    return file_response(found, "attachment")

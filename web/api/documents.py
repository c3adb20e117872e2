"""``/api/v1/cases/{id}/documents`` and ``/api/v1/documents/{id}``: a case's outgoing documents for ДСП
and ОЗД, with the same permissions as the case page (whoever reads the case lists and downloads them;
its social workers, case leads and managers generate them)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from engine.casework.documents import service
from engine.casework.documents.kinds import KIND_CODES
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.schemas import Instant
from web.case_file import file_response
from web.db import current_services, request_uow

blp = api_blueprint("documents", "Outgoing documents for ДСП and ОЗД, generated from a case's forms")

PDF_RESPONSE = {
    "200": {
        "description": "the document's PDF, as an attachment (never shown inline)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class DocumentSchema(Schema):
    id = fields.String(required=True, attribute="public_id")
    kind = fields.String(required=True, metadata={"description": ", ".join(KIND_CODES)})
    number = fields.String(required=True, metadata={"description": "the outgoing number, e.g. КЦ-2026-0042"})
    issued_on = fields.Date(required=True, metadata={"description": "the document's date (Sofia)"})
    created_by = fields.String(required=True)
    created_at = Instant(required=True)
    size = fields.Integer(required=True, metadata={"description": "bytes of the PDF"})


class DocumentListSchema(Schema):
    items = fields.List(fields.Nested(DocumentSchema), required=True)


class DocumentInSchema(Schema):
    kind = fields.String(
        required=True,
        metadata={
            "description": "the kind of document; its source form must be completed on the case "
            "(422 naming `kind` with the reason otherwise)",
            "enum": list(KIND_CODES),
        },
    )


@blp.get("/cases/<case_id>/documents")
@blp.response(200, DocumentListSchema)
@errors(blp, 404)
def list_documents(case_id: str) -> dict[str, Any]:
    """The case's generated documents, newest first. Audited as a read."""
    return {"items": service.read_documents(request_uow(), caller(), case_id)}


@blp.post("/cases/<case_id>/documents")
@blp.arguments(DocumentInSchema)
@blp.response(201, DocumentSchema)
@errors(blp, 403, 404, 422)
def generate(body: dict[str, Any], case_id: str) -> service.DocumentView:
    """Generate a document of `kind` from the case's latest completed source form: numbered, dated,
    stored with the case and audited. 422 names `kind` when it is unknown or its form is not completed."""
    uow, services = request_uow(), current_services()
    document = service.generate(uow, caller(), services.file_store, services.forms, case_id, body["kind"])
    return service.find_document(uow, document.public_id)


@blp.get("/documents/<document_id>")
@blp.doc(responses=PDF_RESPONSE)
@errors(blp, 404)
def download(document_id: str) -> Any:
    """The document's PDF, as an attachment; each download is audited."""
    found = service.download(request_uow(), caller(), current_services().file_store, document_id)
    return file_response(found, "attachment")

"""Documents attached to a case: the referral or order, a court decision, a medical report.

Whoever may open a case may attach a document to it and read its documents; for anyone else a
document does not exist. The content decides what a file is (``file_checks``), the bytes go to the
file store under their SHA-256 (``file_store``), and a PNG preview is made for images and PDFs
(``previews``). Every upload, download and preview is recorded in the case's audit trail.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.audit.chain import record
from engine.casework.cases import get_case
from engine.casework.file_checks import check_upload
from engine.casework.file_store import FileStore
from engine.casework.previews import make_preview
from engine.errors import NotFound, ValidationFailed
from engine.people.permissions import Principal, can_view_case
from engine.store.models import Case, CaseAttachment, User
from engine.store.uow import UnitOfWork

KINDS = ("referral", "order", "court_decision", "medical_report", "other")
MAX_TITLE = 120
ATTACHMENT_LIMIT = 300
READ_ACTIONS = ("attachment.download", "attachment.preview")


@dataclass(frozen=True)
class Upload:
    kind: str
    filename: str
    data: bytes


@dataclass(frozen=True)
class AttachmentView:
    public_id: str
    kind: str
    title: str
    media_type: str
    size: int
    has_preview: bool
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class Download:
    title: str
    media_type: str
    data: bytes


def add_attachment(
    uow: UnitOfWork, who: Principal, store: FileStore, max_bytes: int, case_public_id: str, upload: Upload
) -> CaseAttachment:
    case = get_case(uow, who, case_public_id)
    if upload.kind not in KINDS:
        raise ValidationFailed("the document has errors", {"kind": [f"one of {', '.join(KINDS)}"]})
    checked = check_upload(upload.data, max_bytes)
    key = store.put(upload.data)
    preview = make_preview(upload.data, checked.media_type)
    attachment = CaseAttachment(
        case_id=case.id,
        kind=upload.kind,
        title=safe_title(upload.filename, checked.extension),
        media_type=checked.media_type,
        size=len(upload.data),
        sha256=key,
        preview_sha256=store.put(preview) if preview else "",
        uploaded_by_id=who.user_id,
        uploaded_at=uow.clock.now(),
    )
    uow.session.add(attachment)
    uow.session.flush()
    _audit(uow, who, case, "attachment.add", attachment)
    return attachment


def safe_title(filename: str, extension: str) -> str:
    """The uploaded name as a plain title: no folders, no control characters, the true extension."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[\"<>|:*?]", "_", name).strip(" .")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{(stem or 'document')[:MAX_TITLE]}.{extension}"


def list_attachments(uow: UnitOfWork, case: Case) -> list[AttachmentView]:
    """A case's documents, newest first (the caller has checked the reader may open the case)."""
    rows = uow.session.execute(
        select(CaseAttachment, User.display_name, User.username)
        .outerjoin(User, User.id == CaseAttachment.uploaded_by_id)
        .where(CaseAttachment.case_id == case.id)
        .order_by(CaseAttachment.uploaded_at.desc(), CaseAttachment.id.desc())
        .limit(ATTACHMENT_LIMIT)
    ).all()
    return [view_of(row, name or username or "") for row, name, username in rows]


def find_attachment(uow: UnitOfWork, public_id: str) -> AttachmentView:
    """One document as listed (after an upload in the same transaction: not audited as a read)."""
    row = uow.session.execute(
        select(CaseAttachment, User.display_name, User.username)
        .outerjoin(User, User.id == CaseAttachment.uploaded_by_id)
        .where(CaseAttachment.public_id == public_id)
    ).one_or_none()
    if row is None:
        raise NotFound("document not found")
    return view_of(row[0], row[1] or row[2] or "")


def view_of(attachment: CaseAttachment, uploaded_by: str) -> AttachmentView:
    return AttachmentView(
        attachment.public_id,
        attachment.kind,
        attachment.title,
        attachment.media_type,
        attachment.size,
        bool(attachment.preview_sha256),
        uploaded_by,
        attachment.uploaded_at,
    )


def read_attachments(uow: UnitOfWork, who: Principal, case_public_id: str) -> list[AttachmentView]:
    """The list for the API; the read is audited like a read of the case file."""
    case = get_case(uow, who, case_public_id)
    found = list_attachments(uow, case)
    detail = {"view": "attachments"}
    record(
        uow.session, uow.clock.now(), who, "case.read", case_id=case.id, subject=case.number, detail=detail
    )
    return found


def download(
    uow: UnitOfWork, who: Principal, store: FileStore, public_id: str, preview: bool = False
) -> Download:
    """A document's bytes (or its preview's) for a reader of its case; recorded in the audit trail."""
    attachment = uow.session.scalar(select(CaseAttachment).where(CaseAttachment.public_id == public_id))
    case = uow.session.get(Case, attachment.case_id) if attachment is not None else None
    if attachment is None or case is None or not can_view_case(who, case):
        raise NotFound("document not found")
    if preview and not attachment.preview_sha256:
        raise NotFound("this document has no preview")
    key = attachment.preview_sha256 if preview else attachment.sha256
    data = store.get(key)
    _audit(uow, who, case, "attachment.preview" if preview else "attachment.download", attachment)
    if preview:
        return Download(f"{attachment.title}.png", "image/png", data)
    return Download(attachment.title, attachment.media_type, data)


def _audit(uow: UnitOfWork, who: Principal, case: Case, action: str, attachment: CaseAttachment) -> None:
    """Which document, its kind and size: never its name, which may name a person."""
    detail = {
        "attachment": attachment.public_id,
        "kind": attachment.kind,
        "media_type": attachment.media_type,
        "size": attachment.size,
    }
    record(uow.session, uow.clock.now(), who, action, case_id=case.id, subject=case.number, detail=detail)

"""Generate, list and download a case's outgoing documents.

Who: whoever may read the case lists and downloads its documents; the centre's staff whose role
``generates_documents`` (engine/people/roles.py) generate them. For anyone else a case's documents do
not exist. A document is made from the latest completed task of its source form (kinds.py), numbered,
rendered to PDF, stored in the file store under the PDF's SHA-256, and recorded in the case's audit
trail; every download is recorded too. The audit names the kind and number, never the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from engine.audit.chain import record
from engine.bpmn import spiff
from engine.casework.attachments import Download
from engine.casework.cases import get_case, load_workflow
from engine.casework.documents import compose
from engine.casework.documents.kinds import KIND_CODES, KINDS, DocumentKind, find_kind
from engine.casework.documents.numbering import next_number
from engine.casework.documents.render import render_pdf
from engine.casework.file_store import FileStore
from engine.clock import local_date
from engine.errors import NotFound, ValidationFailed
from engine.pathways.forms import FormCatalog
from engine.people.permissions import Principal, can_generate_documents, can_view_case, require
from engine.store.models import Case, CaseDocument, CaseTask, User
from engine.store.uow import UnitOfWork

DOCUMENT_LIMIT = 300
MEDIA_TYPE = "application/pdf"
READ_ACTIONS = ("document.download",)
SUPPORT_PLANS = ("support_plan", "child_support_plan")


@dataclass(frozen=True)
class DocumentView:
    public_id: str
    kind: str
    number: str
    issued_on: date
    created_by: str
    created_at: datetime
    size: int


@dataclass(frozen=True)
class KindChoice:
    """A kind of document for one case: whether it can be generated now, and if not, why (a msgid)."""

    code: str
    name: str  # English msgid
    available: bool
    reason: str


@dataclass(frozen=True)
class CaseDocuments:
    """The case page's section: the documents, the kinds (offered or why not), may the reader generate."""

    documents: list[DocumentView]
    choices: list[KindChoice]
    can_generate: bool


def documents_for(uow: UnitOfWork, who: Principal, case_public_id: str) -> CaseDocuments:
    """For the case page, whose read is audited with the case file's."""
    case = get_case(uow, who, case_public_id)
    return CaseDocuments(list_documents(uow, case), choices(uow, case), can_generate_documents(who, case))


def source_task(uow: UnitOfWork, case: Case, kind: DocumentKind) -> CaseTask | None:
    """The latest completed task of the case that filled in the kind's source form."""
    query = select(CaseTask).where(
        CaseTask.case_id == case.id,
        CaseTask.status == "completed",
        CaseTask.form_key.in_(kind.source_forms),
    )
    if kind.source_elements:
        query = query.where(CaseTask.element_id.in_(kind.source_elements))
    return uow.session.scalar(query.order_by(CaseTask.completed_at.desc(), CaseTask.id.desc()).limit(1))


def choices(uow: UnitOfWork, case: Case) -> list[KindChoice]:
    """Every kind, offered when its source form is completed, otherwise with the reason."""
    found = []
    for kind in KINDS:
        available = source_task(uow, case, kind) is not None
        found.append(KindChoice(kind.code, kind.name, available, "" if available else kind.missing))
    return found


def generate(
    uow: UnitOfWork, who: Principal, store: FileStore, forms: FormCatalog, case_public_id: str, kind_code: str
) -> CaseDocument:
    case = get_case(uow, who, case_public_id)
    require(can_generate_documents(who, case), "only the case's social workers, case leads and managers")
    kind = find_kind(kind_code)
    if kind is None:
        raise ValidationFailed("unknown kind of document", {"kind": [f"one of {', '.join(KIND_CODES)}"]})
    task = source_task(uow, case, kind)
    if task is None:
        raise ValidationFailed("the document's source form is not completed", {"kind": [kind.missing]})
    today = local_date(uow.clock.now())
    number = next_number(uow, case.centre, today)
    content = _content(uow, who, case, kind, task, forms, number, today)
    pdf = render_pdf(kind.template, {"kind": kind, "doc": content})
    document = CaseDocument(
        case_id=case.id,
        centre_id=case.centre_id,
        kind=kind.code,
        number=number,
        issued_on=today,
        source_task_id=task.id,
        sha256=store.put(pdf),
        size=len(pdf),
        created_by_id=who.user_id,
        created_at=uow.clock.now(),
    )
    uow.session.add(document)
    uow.session.flush()
    _audit(uow, who, case, "document.generate", document, withheld=content.withheld)
    return document


def _content(
    uow: UnitOfWork,
    who: Principal,
    case: Case,
    kind: DocumentKind,
    task: CaseTask,
    forms: FormCatalog,
    number: str,
    today: date,
) -> compose.Content:
    data = dict(task.data or {})
    form = forms.get(task.form_key) if forms.exists(task.form_key) else None
    answers, labels = compose.answers_of(form, data)
    started = spiff.start_data(load_workflow(uow, case))
    lead_name = str(started.get("dsp_lead_name") or "")
    recipient_code = str(data.get("progress_note_recipient") or data.get("recipient") or "dsp")
    extra = [str(line) for line in data.get("recipients") or []] if kind.code != "progress_note" else []
    if kind.code == "violence_report":
        recipient_code = "ozd"
    author = uow.session.get(User, who.user_id) if who.user_id is not None else None
    centre = case.centre
    content = compose.Content(
        title=kind.title_bg,
        number=number,
        issued_on=compose.bg_date(today),
        centre=compose.Letterhead(centre.name, centre.correspondence_address, centre.phone, centre.email),
        recipient=compose.recipient_lines(recipient_code, lead_name, extra),
        case={
            "number": case.number,
            "name": case.display_name,
            "birth_date": compose.bg_date(case.birth_date),
            "admitted_on": compose.bg_date(case.admitted_at),
            "left_on": compose.bg_date(case.left_at or case.closed_at),
            "legal_basis": compose.LEGAL_BASES_BG.get(case.legal_basis, case.legal_basis),
            "referral_number": case.referral_number,
            "referral_date": compose.bg_date(case.referral_date),
            "dsp_lead": lead_name,
        },
        author=compose.author_of(
            (author.display_name or author.username) if author else who.name, who.role_in(case.centre_id)
        ),
        answers=answers,
        labels=labels,
        completed_on=compose.bg_date(task.completed_at),
        goals=compose.goals_of(_support_plan(uow, case)) if kind.code == "progress_note" else [],
    )
    return compose.scrubbed(content, centre.address)


def _support_plan(uow: UnitOfWork, case: Case) -> dict[str, object] | None:
    task = uow.session.scalar(
        select(CaseTask)
        .where(
            CaseTask.case_id == case.id,
            CaseTask.status == "completed",
            CaseTask.form_key.in_(SUPPORT_PLANS),
        )
        .order_by(CaseTask.completed_at.desc(), CaseTask.id.desc())
        .limit(1)
    )
    return task.data if task is not None else None


def list_documents(uow: UnitOfWork, case: Case) -> list[DocumentView]:
    """A case's documents, newest first (the caller has checked the reader may open the case)."""
    rows = uow.session.execute(
        select(CaseDocument, User.display_name, User.username)
        .outerjoin(User, User.id == CaseDocument.created_by_id)
        .where(CaseDocument.case_id == case.id)
        .order_by(CaseDocument.created_at.desc(), CaseDocument.id.desc())
        .limit(DOCUMENT_LIMIT)
    ).all()
    return [view_of(row, name or username or "") for row, name, username in rows]


def view_of(document: CaseDocument, created_by: str) -> DocumentView:
    return DocumentView(
        document.public_id,
        document.kind,
        document.number,
        document.issued_on,
        created_by,
        document.created_at,
        document.size,
    )


def find_document(uow: UnitOfWork, public_id: str) -> DocumentView:
    """One document as listed (right after generating it: not a read)."""
    row = uow.session.execute(
        select(CaseDocument, User.display_name, User.username)
        .outerjoin(User, User.id == CaseDocument.created_by_id)
        .where(CaseDocument.public_id == public_id)
    ).one_or_none()
    if row is None:
        raise NotFound("document not found")
    return view_of(row[0], row[1] or row[2] or "")


def read_documents(uow: UnitOfWork, who: Principal, case_public_id: str) -> list[DocumentView]:
    """The list for the API; audited like a read of the case file."""
    case = get_case(uow, who, case_public_id)
    found = list_documents(uow, case)
    detail = {"view": "documents"}
    record(
        uow.session, uow.clock.now(), who, "case.read", case_id=case.id, subject=case.number, detail=detail
    )
    return found


def download(uow: UnitOfWork, who: Principal, store: FileStore, public_id: str) -> Download:
    """A document's PDF for a reader of its case; recorded in the audit trail."""
    document = uow.session.scalar(select(CaseDocument).where(CaseDocument.public_id == public_id))
    case = uow.session.get(Case, document.case_id) if document is not None else None
    if document is None or case is None or not can_view_case(who, case):
        raise NotFound("document not found")
    data = store.get(document.sha256)
    _audit(uow, who, case, "document.download", document)
    return Download(f"{document.number}.pdf", MEDIA_TYPE, data)


def _audit(
    uow: UnitOfWork, who: Principal, case: Case, action: str, document: CaseDocument, withheld: int = 0
) -> None:
    """Which document: its kind, number and size, never its text."""
    detail: dict[str, object] = {
        "document": document.public_id,
        "kind": document.kind,
        "number": document.number,
        "size": document.size,
    }
    if withheld:
        detail["address_withheld"] = withheld  # the confidential address was typed in a form's answer
    record(uow.session, uow.clock.now(), who, action, case_id=case.id, subject=case.number, detail=detail)

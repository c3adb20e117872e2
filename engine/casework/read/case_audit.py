"""Who read and changed a case (for its centre's manager), and the diagram the case runs on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from engine.audit.chain import record
from engine.casework.cases import get_case
from engine.casework.read.timeline_details import EntryDetail, details
from engine.errors import NotFound
from engine.people.permissions import Principal, can_view_case_audit, require
from engine.store.models import AuditEvent, PathwayVersion, User
from engine.store.uow import UnitOfWork

AUDIT_LIMIT = 5000


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    actor_name: str
    action: str
    subject: str
    ip: str
    detail: EntryDetail = field(default_factory=EntryDetail)  # whom a task went to, or that it was released


def who_viewed(uow: UnitOfWork, who: Principal, public_id: str, export: bool = False) -> list[AuditEntry]:
    """Every read and change of a case, newest first: for the manager of its centre; itself recorded."""
    case = get_case(uow, who, public_id)
    require(can_view_case_audit(who, case), "only the manager of the centre sees who read a case")
    rows = uow.session.execute(
        select(AuditEvent.at, AuditEvent.actor, User.display_name, AuditEvent.action, AuditEvent.subject)
        .add_columns(AuditEvent.ip, AuditEvent.detail)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.case_id == case.id)
        .order_by(AuditEvent.id.desc())
        .limit(AUDIT_LIMIT)
    ).all()
    explained = details(
        uow, [(row.action, row.detail or {}) for row in rows], case, [r.subject for r in rows]
    )
    entries = [
        AuditEntry(at, actor, name or actor, action, subject, ip, more)
        for (at, actor, name, action, subject, ip, _), more in zip(rows, explained, strict=True)
    ]
    record(
        uow.session,
        uow.clock.now(),
        who,
        "case.audit_read",
        case_id=case.id,
        subject=case.number,
        detail={"format": "csv" if export else "page"},
    )
    return entries


def case_diagram(uow: UnitOfWork, who: Principal, public_id: str) -> str:
    """The BPMN XML of the pathway version the case runs on, for readers of the case."""
    case = get_case(uow, who, public_id)
    xml = uow.session.scalar(
        select(PathwayVersion.bpmn_xml).where(PathwayVersion.id == case.pathway_version_id)
    )
    if xml is None:
        raise NotFound("diagram not found")
    return xml

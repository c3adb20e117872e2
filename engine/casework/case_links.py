"""Linked cases: a child's case opened at a children's crisis centre by a handover, and the links shown.

Opening the other case is a system action: the handover's service task (engine/bpmn/operations.py)
takes only the data the operation names (the child's name and birth date, the centre chosen), opens
the case at that centre on its child pathway with the legal basis ``handover``, links the two cases,
writes the audit of both, and tells that centre's intake roles (a notification carrying the new case's
number only). A centre over capacity still receives the child: the audit records it. What the link
shows depends on the reader: the other case's number and centre always, its link and status only to
someone who may open it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select

from engine.audit.chain import record
from engine.bpmn.operations import OperationCall, OperationFailed, linked_case_input
from engine.casework.intake_data import Intake
from engine.clock import local_date
from engine.errors import CasepathError
from engine.notify.messages import CASE_LINKED, CASE_LINKED_OVER_CAPACITY
from engine.notify.notifications import notify_roles
from engine.people.centres import occupancy
from engine.people.permissions import INTAKE_ROLES, SYSTEM, Principal, can_view_case
from engine.store.models import Case, CaseLink, Centre
from engine.store.uow import UnitOfWork

HANDOVER = "handover"
FAMILY = "family"  # a parent's case to a child's admitted with her (engine/casework/family.py)
LINK_KINDS = (HANDOVER, FAMILY)
Opener = Callable[[UnitOfWork, Principal, Intake], Case]


def open_linked_case(uow: UnitOfWork, case: Case, call: OperationCall, opener: Opener) -> Case:
    """Open the child's case at the chosen centre and link it to ``case``; OperationFailed says why not."""
    wanted = linked_case_input(call.data)
    existing = _linked_by(uow, case, call.element_id)
    if existing is not None:  # the task ran again after a retry: the case it opened stays the one
        return existing
    centre = uow.session.scalar(select(Centre).where(Centre.code == wanted.centre_code))
    if centre is None:
        raise OperationFailed("no_such_centre", "no such centre")
    if centre.kind != "crisis_centre":
        raise OperationFailed("wrong_centre_kind", "not a crisis centre")
    born = _birth_date(wanted.birth_date, local_date(uow.clock.now()))
    over_capacity = occupancy(uow, centre).full
    intake = Intake(
        centre_code=centre.code,
        display_name=wanted.name,
        legal_basis=HANDOVER,
        target_group="child_at_risk",
        birth_date=born,
        referral_number=case.number,
        referral_date=local_date(uow.clock.now()),
        extra={"linked_from": case.number},
    )
    try:
        child = opener(uow, SYSTEM, intake)
    except CasepathError as error:
        raise OperationFailed("operation_input", error.code) from error
    now = uow.clock.now()
    uow.session.add(
        CaseLink(
            from_case_id=case.id,
            to_case_id=child.id,
            kind=HANDOVER,
            element_id=call.element_id,
            created_at=now,
        )
    )
    detail = {"kind": HANDOVER, "element": call.element_id, "over_capacity": over_capacity}
    record(uow.session, now, SYSTEM, "case.link", case_id=case.id, subject=child.number,
           detail={**detail, "to": child.number, "centre": centre.code})  # fmt: skip
    record(uow.session, now, SYSTEM, "case.link", case_id=child.id, subject=case.number,
           detail={**detail, "from": case.number, "centre": case.centre.code})  # fmt: skip
    kind = CASE_LINKED_OVER_CAPACITY if over_capacity else CASE_LINKED
    notify_roles(uow, child, sorted(INTAKE_ROLES), kind, {"number": child.number})
    return child


def _birth_date(text: str, today: date) -> date:
    try:
        born = date.fromisoformat(text)
    except ValueError as error:
        raise OperationFailed("operation_input", "child_birth_date is not a date") from error
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if born > today or age >= 18:
        raise OperationFailed("operation_input", "child_birth_date is not a minor's")
    return born


def _linked_by(uow: UnitOfWork, case: Case, element_id: str) -> Case | None:
    link = uow.session.scalar(
        select(CaseLink).where(CaseLink.from_case_id == case.id, CaseLink.element_id == element_id)
    )
    return uow.session.get(Case, link.to_case_id) if link is not None else None


@dataclass(frozen=True)
class LinkView:
    """One link as a reader of a case sees it: the other case's number and centre, and more if allowed.

    ``public_id`` and ``status`` are None for a reader who may not open the other case.
    """

    kind: str
    # "to": this case opened the other (a handover) or is its parent (a family); "from": the reverse;
    # "with": both are children of one family
    direction: str
    number: str
    centre_name: str
    centre_code: str
    created_at: datetime
    public_id: str | None
    status: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "direction": self.direction,
            "case_number": self.number,
            "centre": {"code": self.centre_code, "name": self.centre_name},
            "created_at": self.created_at.isoformat(),
            "case_id": self.public_id,
            "status": self.status,
        }


def links_of(uow: UnitOfWork, who: Principal, case: Case) -> list[LinkView]:
    """The links of a case the caller may read (checked by the caller), oldest first."""
    rows = uow.session.scalars(
        select(CaseLink)
        .where(or_(CaseLink.from_case_id == case.id, CaseLink.to_case_id == case.id))
        .order_by(CaseLink.created_at, CaseLink.id)
    ).all()
    views = []
    for link in rows:
        outgoing = link.from_case_id == case.id
        other = uow.session.get(Case, link.to_case_id if outgoing else link.from_case_id)
        if other is not None:
            views.append(_view(who, link, other, "to" if outgoing else "from"))
    parent = next((link for link in rows if link.kind == FAMILY and link.to_case_id == case.id), None)
    if parent is not None:  # the whole family on each child's page: the parent's other children too
        siblings = uow.session.execute(
            select(CaseLink, Case)
            .join(Case, Case.id == CaseLink.to_case_id)
            .where(
                CaseLink.from_case_id == parent.from_case_id,
                CaseLink.kind == FAMILY,
                CaseLink.to_case_id != case.id,
            )
            .order_by(CaseLink.created_at, CaseLink.id)
        ).all()
        views += [_view(who, link, other, "with") for link, other in siblings]
    return views


def _view(who: Principal, link: CaseLink, other: Case, direction: str) -> LinkView:
    visible = can_view_case(who, other)
    return LinkView(
        kind=link.kind,
        direction=direction,
        number=other.number,
        centre_name=other.centre.name,
        centre_code=other.centre.code,
        created_at=link.created_at,
        public_id=other.public_id if visible else None,
        status=other.status if visible else None,
    )

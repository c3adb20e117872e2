"""Periodic pathways: a pathway whose process starts at a timer start event (``R/P1M``: every month).

What a case of such a pathway is: **the routine of one centre**, not a person's stay. A centre's manager
(or the operator, ``casepath cases routine``) opens it once; it waits for its start timer, which is a row
of the ``deadline`` table like any other timer, and every time the timer fires the routine's work
(e.g. the monthly occupancy report, a task for the manager) appears in the inbox, while the next
occurrence waits in the deadline table. It holds no person's data, takes no place in the centre (it is
opened as already "left"), and ends when its cycle runs out (``R12/P1M``) or the manager closes it.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.audit.chain import record
from engine.bpmn import events, spiff, state
from engine.casework.cases import _next_number, drive, get_centre
from engine.clock import isoformat_local
from engine.errors import ConcurrencyConflict, NotFound, ValidationFailed
from engine.pathways.versions import latest_version, parsed_version
from engine.people.permissions import Principal, can_start_routine, require
from engine.store.models import Case
from engine.store.uow import UnitOfWork

ROUTINE = "routine"  # the legal basis of a routine's case: no person was admitted


def open_routine(uow: UnitOfWork, who: Principal, centre_code: str, pathway_key: str) -> Case:
    """Open the routine of a periodic pathway in a centre; one open routine per pathway and centre."""
    centre = get_centre(uow, centre_code)
    if who.user_id is not None:
        require(can_start_routine(who, centre.id), "only the centre's manager starts a routine")
    version = latest_version(uow, pathway_key, required=False)
    if version is None:
        raise NotFound(f"pathway '{pathway_key[:80]}' is not deployed")
    parsed = parsed_version(version)
    if not events.starts_on_a_timer(parsed.spec):
        raise ValidationFailed(
            "this pathway does not start at a timer: its cases are opened at intake",
            {"pathway": ["not a periodic pathway (no timer start event)"]},
        )
    running = uow.session.scalar(
        select(Case.number)
        .join(Case.pathway_version)
        .where(Case.centre_id == centre.id, Case.status != "closed", Case.legal_basis == ROUTINE)
        .where(Case.pathway_version.has(pathway_id=version.pathway_id))
    )
    if running is not None:
        raise ConcurrencyConflict(f"the centre already runs this routine: case {running}")
    now = uow.clock.now()
    case = Case(
        number=_next_number(uow, centre, now),
        centre_id=centre.id,
        pathway_version_id=version.id,
        display_name=str(getattr(parsed.spec, "description", "") or version.pathway.name)[:200],
        target_group="other",
        legal_basis=ROUTINE,
        referral_number="",
        admitted_at=now,
        left_at=now,  # a routine takes no place in the centre
        status="open",
        workflow_state=b"",
        serializer_version=state.SERIALIZER_VERSION,
    )
    uow.session.add(case)
    uow.session.flush()
    data = {"case_number": case.number, "admitted_at": isoformat_local(now), "centre": centre.code}
    drive(uow, case, lambda: spiff.start(parsed, data, uow.clock, uow.limits))
    record(
        uow.session,
        now,
        who,
        "case.open",
        case_id=case.id,
        subject=case.number,
        detail={"pathway": version.pathway.key, "version": version.version, "legal_basis": ROUTINE},
    )
    return case

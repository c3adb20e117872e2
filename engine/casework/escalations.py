"""An escalation opens: the centre's managers are told at once, whoever the escalation task is for.

A task is an escalation when its diagram says so (the ``escalation`` property, declared in
engine/bpmn/properties.py); the shipped pathways open one when a deadline is breached (e.g. no ДСП
referral in 20 days, a review not done). Who is told is the roles' ``told_of_escalations``.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.bpmn.spiff import HumanTask
from engine.notify.messages import ESCALATION_OPENED
from engine.notify.notifications import notify_roles
from engine.people.roles import TOLD_OF_ESCALATIONS
from engine.store.models import Case
from engine.store.uow import UnitOfWork


def announce_escalations(uow: UnitOfWork, case: Case, opened: Iterable[HumanTask]) -> int:
    """Notify the managers of each escalation among a step's newly opened tasks; how many were opened."""
    count = 0
    for task in opened:
        if not task.properties.escalation:
            continue
        name = task.name[:300]
        params = {"number": case.number, "task": name, "task_en": task.properties.name_en or name}
        notify_roles(uow, case, sorted(TOLD_OF_ESCALATIONS), ESCALATION_OPENED, params)
        count += 1
    return count

"""An escalation opens: the centre's managers are told at once, whoever the escalation task is for.

An escalation is a human task whose form is the escalation review (``escalation_review``), which the
shipped pathways open when a deadline is breached (e.g. no ДСП referral in 20 days, a review not done).
"""

from __future__ import annotations

from typing import Any

from engine.notify.messages import ESCALATION_OPENED
from engine.notify.notifications import notify_roles
from engine.store.models import Case
from engine.store.uow import UnitOfWork

ESCALATION_FORM = "escalation_review"
TOLD_OF_ESCALATIONS = ("manager",)


def is_escalation(row: dict[str, Any]) -> bool:
    return row.get("form_key") == ESCALATION_FORM


def announce_escalations(uow: UnitOfWork, case: Case, new_rows: list[dict[str, Any]]) -> int:
    """Notify the managers of each escalation among a step's new task rows; how many were opened."""
    opened = [row for row in new_rows if is_escalation(row)]
    for row in opened:
        params = {"number": case.number, "task": row["name"]}
        notify_roles(uow, case, TOLD_OF_ESCALATIONS, ESCALATION_OPENED, params)
    return len(opened)

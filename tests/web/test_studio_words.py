"""A change that waits for approval reads in the manager's language, not as the engine's English line."""

from __future__ import annotations

from engine.pathways.diff import ApprovalReason
from web.studio_words import approval_reason


def test_reasons_read_in_bulgarian(app):
    with app.test_request_context("/"):
        due = ApprovalReason("Task_StatutoryReview", "changed", "due", "P7D", "P9D")
        assert approval_reason(due) == "Task_StatutoryReview: Срок: 7 дни → 9 дни"
        assert due.line() == "Task_StatutoryReview: due P7D → P9D"  # the API's and the audit's line
        timer = approval_reason(ApprovalReason("Timer_Monthly", "changed", "timer", "R/P1M", "R/P6W"))
        assert timer.startswith("Timer_Monthly: Таймер: ") and "P6W" not in timer
        assert approval_reason(ApprovalReason("Task_Plan", "removed")) == "Task_Plan: премахнато"
        new_role = approval_reason(ApprovalReason("Task_Call", "changed", "role", "", "case_lead"))
        assert new_role.startswith("Task_Call: ") and "— → case_lead" in new_role

"""A change that waits for approval reads in the manager's language, not as the engine's English line."""

from __future__ import annotations

from web.studio_words import approval_reason


def test_reasons_read_in_bulgarian(app):
    with app.test_request_context("/"):
        assert (
            approval_reason("Task_StatutoryReview: due P7D → P9D")
            == "Task_StatutoryReview: Срок: 7 дни → 9 дни"
        )
        assert approval_reason("Timer_Monthly: timer R/P1M → R/P6W").startswith("Timer_Monthly: Таймер: ")
        assert "P6W" not in approval_reason("Timer_Monthly: timer R/P1M → R/P6W")
        assert approval_reason("Task_Plan: removed") == "Task_Plan: премахнато"
        assert approval_reason("something the engine may say later") == "something the engine may say later"

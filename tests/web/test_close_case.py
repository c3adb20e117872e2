"""Closing a case by hand: the case lead or the manager, with a reason; open work cancelled; audited."""

from __future__ import annotations

from sqlalchemy import select

from engine.store.models import AuditEvent, Case, CaseTask, Deadline
from tests.web.conftest import csrf_client, csrf_token_of, html_of, username

REASON = "Лицето напусна центъра по свое желание."


def state_of(services, public_id: str) -> tuple[str, list[str], list[str]]:
    """The case's status, and the statuses of its tasks and deadlines."""
    with services.uow() as uow:
        case = uow.session.scalar(select(Case).where(Case.public_id == public_id))
        tasks = uow.session.scalars(select(CaseTask.status).where(CaseTask.case_id == case.id)).all()
        deadlines = uow.session.scalars(select(Deadline.status).where(Deadline.case_id == case.id)).all()
        return case.status, sorted(tasks), sorted(set(deadlines))


def close(client, public_id: str, reason: str = REASON) -> int:
    return client.post(f"/cases/{public_id}/close", data={"reason": reason}).status_code


def test_the_case_lead_closes_a_case_and_its_open_work_is_cancelled(services, as_role, world):
    as_role("social_worker").post(f"/tasks/{world.own_task}/complete", data={"f_note": "x", "f_risk": "low"})
    assert state_of(services, world.own_case) == ("open", ["completed"], ["pending"])  # the stay's timers
    lead = as_role("case_lead")
    assert f'action="/cases/{world.own_case}/close"' in html_of(lead.get(f"/cases/{world.own_case}"))
    response = lead.post(f"/cases/{world.own_case}/close", data={"reason": REASON})
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{world.own_case}"
    assert state_of(services, world.own_case) == ("closed", ["completed"], ["cancelled"])
    page = html_of(lead.get(f"/cases/{world.own_case}"))
    assert "е закрит." in page and "Случаят е закрит" in page  # the message, and the timeline entry
    assert f'action="/cases/{world.own_case}/close"' not in page  # nothing left to close
    with services.uow() as uow:
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.close"))
        assert event.actor == username("case_lead") and event.detail == {"reason": REASON}


def test_a_waiting_task_is_cancelled_too(services, as_role, world):
    assert close(as_role("manager"), world.own_case) == 302
    assert state_of(services, world.own_case) == ("closed", ["cancelled"], [])


def test_only_the_case_lead_and_the_manager_see_the_form(as_role, world):
    for role in ("case_lead", "manager", "social_worker", "psychologist"):
        shown = role in ("case_lead", "manager")
        html = html_of(as_role(role).get(f"/cases/{world.own_case}"))
        assert (f'action="/cases/{world.own_case}/close"' in html) is shown, role


def test_a_reason_is_required(services, as_role, world):
    client = as_role("manager")
    for data in ({}, {"reason": "   "}):
        response = client.post(f"/cases/{world.own_case}/close", data=data)
        assert response.status_code == 422 and "reason" in html_of(response)
    assert state_of(services, world.own_case)[0] == "open"


def test_refusals(services, as_role, world):
    assert close(as_role("social_worker"), world.own_case) == 403
    for role in ("coordinator", "admin"):  # they read no cases: the case does not exist for them
        assert close(as_role(role), world.own_case) == 404
    assert close(as_role("manager"), world.other_case) == 404
    assert state_of(services, world.own_case)[0] == state_of(services, world.other_case)[0] == "open"
    client = as_role("manager")
    assert (close(client, world.own_case), close(client, world.own_case)) == (302, 409)


def test_a_long_reason_is_cut_not_refused(services, as_role, world):
    assert close(as_role("manager"), world.own_case, "я" * 5000) == 302
    with services.uow() as uow:
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.close"))
        assert event.detail["reason"] == "я" * 500


def test_closing_needs_the_forms_csrf_token(services, world):
    client = csrf_client(services, "case_lead")
    page = html_of(client.get(f"/cases/{world.own_case}"))
    assert close(client, world.own_case) == 400
    assert state_of(services, world.own_case)[0] == "open"
    done = client.post(
        f"/cases/{world.own_case}/close", data={"reason": REASON, "csrf_token": csrf_token_of(page)}
    )
    assert done.status_code == 302 and state_of(services, world.own_case)[0] == "closed"


def test_a_closed_case_or_a_person_who_left_shows_no_running_count_nor_a_passed_cap(
    services, as_role, world, clock
):
    from datetime import timedelta

    clock.advance(timedelta(days=200))  # past the six-month cap
    lead = as_role("case_lead")
    running = html_of(lead.get(f"/cases/{world.own_case}"))
    assert "ден 201" in running and "due-overdue" in running.split("Шестмесечен")[1].split("</dd>")[0]
    with services.uow() as uow:  # the person left on day 10
        case = uow.session.scalar(select(Case).where(Case.public_id == world.own_case))
        case.left_at = case.admitted_at + timedelta(days=9)
        uow.commit()
    left = html_of(lead.get(f"/cases/{world.own_case}"))
    cap = left.split("Шестмесечен")[1].split("</dd>")[0]
    assert "ден 201" not in left and "10 дни" in left and "due-overdue" not in cap and "напусна" in cap
    assert close(lead, world.own_case) == 302
    closed = html_of(lead.get(f"/cases/{world.own_case}"))
    cap = closed.split("Шестмесечен")[1].split("</dd>")[0]
    assert "Продължителност на престоя" in closed and "ден 201" not in closed and "due-overdue" not in cap

"""Repairing a case in the web app and over the API: the repair page (number, position, dates; no
content), suspend shown on the case page, the inbox and the task page, move back, cancel a timer, errors
naming the field, and the incidents page's links. The engine's rules: tests/engine/casework/test_repair.py."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from engine.casework import cases
from engine.people.users import get_user, principal_for
from engine.store.models import AuditEvent, Case, CaseTask, Deadline
from tests.web import api_fixtures as fx
from tests.web.conftest import html_of, username

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
REASON = {"reason": "Настанена в болница за две седмици."}


def _complete_first(services, world) -> None:  # type: ignore[no-untyped-def]
    """The own case's first step done: the case waits in its stay (a month's timer, the cap timers)."""
    with services.uow() as uow:
        worker = principal_for(get_user(uow, username("social_worker")))
        cases.complete_task(uow, worker, world.own_task, {"note": "x", "risk": "low"}, services.forms)
        uow.commit()


def _case(services, public_id: str, column):  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        return uow.session.scalar(select(column).where(Case.public_id == public_id))


def _actions(services, public_id: str) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        case_id = uow.session.scalar(select(Case.id).where(Case.public_id == public_id))
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id))
        return [(row.action, str(row.detail.get("reason", ""))) for row in rows]


def test_coordinator_repairs_without_reading_the_case(services, as_role, world):
    client = as_role("coordinator")
    html = html_of(client.get(f"/cases/{world.own_case}/repair"))
    number = _case(services, world.own_case, Case.number)
    assert f"Поправка на случай {number}" in html and "Initial assessment" in html
    assert "Мария П." not in html and "ул. Тайна 1" not in html  # no case content, no address
    assert f'href="/cases/{world.own_case}"' not in html  # coordinators may not open the case file
    assert f'action="/cases/{world.own_case}/repair/suspend"' in html
    incidents = html_of(client.get("/incidents"))
    assert 'action="/repair"' in incidents and "Няма спрян временно случай." in incidents
    found = client.get(f"/repair?number={number.lower()}")
    assert found.status_code == 302 and found.headers["Location"] == f"/cases/{world.own_case}/repair"
    assert client.get("/repair?number=KC-OTHER-2025-0001").status_code == 404
    assert as_role("coordinator", own=False).get(f"/cases/{world.own_case}/repair").status_code == 404
    assert as_role("case_lead").get(f"/cases/{world.own_case}/repair").status_code == 403
    manager = html_of(as_role("manager").get(f"/cases/{world.own_case}"))
    assert f'href="/cases/{world.own_case}/repair"' in manager


def test_suspend_shows_on_the_case_inbox_and_task_and_resume_runs_it_again(services, as_role, world):
    coordinator = as_role("coordinator")
    response = coordinator.post(f"/cases/{world.own_case}/repair/suspend", data=REASON)
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{world.own_case}/repair"
    page = html_of(coordinator.get(response.headers["Location"]))
    assert "Случаят е спрян временно" in page and f'action="/cases/{world.own_case}/repair/resume"' in page
    worker = as_role("social_worker")
    case_page = html_of(worker.get(f"/cases/{world.own_case}"))
    assert "спрян временно" in case_page and "Случаят е спрян временно" in case_page
    assert REASON["reason"] in case_page  # the timeline shows the reason
    assert 'class="badge status-suspended"' in html_of(worker.get("/inbox"))
    refused = worker.post(f"/tasks/{world.own_task}/complete", data={"f_note": "x", "f_risk": "low"})
    assert refused.status_code == 409
    assert "Случаят е спрян временно от координатор" in html_of(refused)
    assert (
        coordinator.post(f"/cases/{world.own_case}/repair/resume", data={"reason": "Върна се."}).status_code
        == 302
    )
    assert _case(services, world.own_case, Case.status) == "open"
    assert [a for a in _actions(services, world.own_case) if a[0] in ("case.suspend", "case.resume")] == [
        ("case.suspend", REASON["reason"]),
        ("case.resume", "Върна се."),
    ]


def test_errors_name_the_field_in_the_readers_language_and_change_nothing(services, as_role, world):
    client = as_role("manager")
    response = client.post(f"/cases/{world.own_case}/repair/suspend", data={"reason": "  "})
    html = html_of(response)
    assert response.status_code == 422 and "Посочете причина" in html and 'aria-invalid="true"' in html
    response = client.post(f"/cases/{world.own_case}/repair/move", data={**REASON, "element_id": "nope"})
    assert response.status_code == 422 and "Това не е стъпка" in html_of(response)
    response = client.post(f"/cases/{world.own_case}/repair/move", data={**REASON, "element_id": "final"})
    assert response.status_code == 422  # skipping the first step runs a script that lacks its data
    response = client.post(f"/cases/{world.own_case}/repair/resume", data=REASON)
    assert response.status_code == 422 and "Случаят не е спрян временно." in html_of(response)
    assert _case(services, world.own_case, Case.status) == "open"
    assert not [a for a in _actions(services, world.own_case) if a[0].startswith(("case.s", "case.m"))]
    client.post(f"/cases/{world.own_case}/close", data={"reason": "Напусна."})
    response = client.post(f"/cases/{world.own_case}/repair/suspend", data=REASON)
    assert response.status_code == 422 and "Случаят е закрит." in html_of(response)


def test_move_back_and_cancel_a_timer_from_the_page(services, as_role, world):
    _complete_first(services, world)
    client = as_role("coordinator")
    html = html_of(client.get(f"/cases/{world.own_case}/repair"))
    assert '<option value="assess">' in html and "Назад: повторете" in html
    case_id = _case(services, world.own_case, Case.id)
    with services.uow() as uow:
        month = uow.session.scalar(
            select(Deadline.id).where(Deadline.case_id == case_id, Deadline.element_id == "wait_month")
        )
    assert "премества се по-късно с времето на спирането" in html  # the month counts from its start
    response = client.post(
        f"/cases/{world.own_case}/repair/deadlines/{month}/cancel", data={"reason": "Прегледът е направен."}
    )
    assert response.status_code == 302
    response = client.post(f"/cases/{world.own_case}/repair/move", data={**REASON, "element_id": "assess"})
    assert response.status_code == 302
    with services.uow() as uow:
        assert uow.session.get(Deadline, month).status == "cancelled"
        rows = uow.session.scalars(
            select(CaseTask).where(CaseTask.case_id == case_id, CaseTask.status == "open")
        )
        assert [(row.element_id, row.draft) for row in rows] == [("assess", {"note": "x", "risk": "low"})]
    timeline = html_of(as_role("manager").get(f"/cases/{world.own_case}"))
    assert "Таймерът е отменен" in timeline and "Прегледът е направен." in timeline
    assert "Случаят е преместен на друга стъпка" in timeline


def test_api_repairs_with_the_same_rights_and_names_the_field(api, world):
    path = f"/cases/{world.own_case}"
    view = api.get(f"{path}/repair", "coordinator").get_json()
    assert view["status"] == "open" and [s["element_id"] for s in view["steps"]] == ["assess"]
    assert "display_name" not in view
    suspended = api.post(f"{path}/suspend", "coordinator", json={"reason": "hospital"})
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    missing = api.post(f"{path}/resume", "manager", json={})
    assert missing.status_code == 422 and "reason" in missing.get_json()["fields"]
    blank = api.post(f"{path}/resume", "manager", json={"reason": " "})
    assert blank.status_code == 422 and blank.get_json()["fields"] == {"reason": ["a reason is required"]}
    assert api.post(f"{path}/resume", "manager", json={"reason": "back"}).get_json()["status"] == "open"
    wrong = api.post(f"{path}/move", "coordinator", json={"element_id": "nope", "reason": "x"})
    assert wrong.status_code == 422 and list(wrong.get_json()["fields"]) == ["element_id"]
    gone = api.post(f"{path}/deadlines/99999999999999/cancel", "coordinator", json={"reason": "x"})
    assert gone.status_code == 422 and list(gone.get_json()["fields"]) == ["deadline"]
    assert api.post(f"{path}/suspend", "case_lead", json={"reason": "x"}).status_code == 403
    assert api.post(f"{path}/suspend", "coordinator", own=False, json={"reason": "x"}).status_code == 404
    assert api.post(f"{path}/suspend", "manager", own=False, json={"reason": "x"}).status_code == 404


def test_the_command_line_repairs_and_refuses_with_exit_1(services, world, monkeypatch):
    from engine.services import Services

    monkeypatch.setattr(Services, "from_settings", classmethod(lambda cls, settings: services))
    _complete_first(services, world)
    number = _case(services, world.own_case, Case.number)
    coordinator = username("coordinator")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, ["cases", *args])

    no_reason = run("suspend", number, "--by", coordinator)
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    blank = run("suspend", number, "--reason", " ", "--by", coordinator)
    assert blank.exit_code == 1 and "reason: a reason is required" in blank.output
    refused = run("suspend", number, "--reason", "x", "--by", username("case_lead"))
    assert refused.exit_code == 1 and "coordinator or the manager" in refused.output
    assert run("suspend", "KC-NOPE-1", "--reason", "x", "--by", coordinator).exit_code == 1
    ok = run("suspend", number, "--reason", "hospital", "--by", coordinator)
    assert ok.exit_code == 0 and ok.output.strip() == f"{number} suspended"
    resumed = run("resume", number, "--reason", "back", "--by", username("manager"))
    assert resumed.exit_code == 0 and resumed.output.startswith(
        f"{number} resumed after 0.0 days; moved later:"
    )
    wrong = run("move", number, "nope", "--reason", "x", "--by", coordinator)
    assert wrong.exit_code == 1 and "element_id: not a step the case can be moved to now" in wrong.output
    no_timer = run("cancel-timer", number, "nope", "--reason", "x", "--by", coordinator)
    assert no_timer.exit_code == 1 and "deadline: not a waiting timer of this case" in no_timer.output
    cancelled = run("cancel-timer", number, "wait_month", "--reason", "done", "--by", coordinator)
    assert cancelled.exit_code == 0 and cancelled.output.strip() == f"{number}: timer wait_month cancelled"
    moved = run("move", number, "assess", "--reason", "redo", "--by", coordinator)
    assert moved.exit_code == 0 and moved.output.strip() == f"{number} moved to assess; case open"

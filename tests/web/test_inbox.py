"""The inbox: whose tasks, in which order, filters, counts, claim/unclaim/reassign, audit, no N+1."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.casework import inbox
from engine.people.users import get_user, principal_for
from engine.store.models import AuditEvent, CaseTask
from tests.web.conftest import QueryCounter, html_of, login, open_case, username


def open_cases(services, count, centre="kc-test", opener="social_worker"):
    with services.uow() as uow:
        opened = [open_case(uow, centre, username(opener), f"Лице {n}") for n in range(count)]
        uow.commit()
        return opened


def principal(services, role, own=True):
    with services.uow() as uow:
        return principal_for(get_user(uow, username(role, own)))


def test_inbox_rows_show_case_task_due_and_legal_source(as_role, world):
    html = html_of(as_role("social_worker").get("/inbox"))
    assert "KC-TEST-2025-0001" in html and "Мария П." in html
    assert "Initial assessment" in html
    assert "ЗСУ чл. 77(3)" in html
    assert "срок след 1 ден" in html
    assert "Елена Д." not in html  # the other centre's case


def test_overdue_first_then_by_due_date_with_overdue_text(services, world, clock, as_role):
    clock.advance(timedelta(days=3))  # the first case's task is now 2 days overdue
    open_cases(services, 1)
    with services.uow() as uow:
        result = inbox.list_inbox(uow, principal(services, "social_worker"), inbox.InboxFilters())
    assert [row.display_name for row in result.rows] == ["Мария П.", "Лице 0"]
    assert result.counts.overdue == 1 and result.counts.matching == 2
    html = html_of(as_role("social_worker").get("/inbox"))
    assert "просрочена с 2 дни" in html
    assert "1 просрочена" in html


def test_role_scoping_and_counts(services, world, as_role):
    with services.uow() as uow:
        sw = inbox.list_inbox(uow, principal(services, "social_worker"), inbox.InboxFilters())
        psy = inbox.list_inbox(uow, principal(services, "psychologist"), inbox.InboxFilters())
        lead = inbox.list_inbox(uow, principal(services, "case_lead"), inbox.InboxFilters(scope="team"))
    assert (sw.counts.unclaimed, sw.counts.mine, len(sw.rows)) == (1, 0, 1)
    assert psy.rows == [] and psy.counts.unclaimed == 0
    assert [row.task_id for row in lead.rows] == [world.own_task] and lead.can_see_team


def test_filters_narrow_the_list(services, world, clock):
    clock.advance(timedelta(days=3))
    open_cases(services, 2)
    who = principal(services, "social_worker")
    with services.uow() as uow:
        overdue = inbox.list_inbox(uow, who, inbox.InboxFilters(due="overdue"))
        today = inbox.list_inbox(uow, who, inbox.InboxFilters(due="today"))
        week = inbox.list_inbox(uow, who, inbox.InboxFilters(due="week"))
        by_type = inbox.list_inbox(uow, who, inbox.InboxFilters(task_type="note"))
        other_type = inbox.list_inbox(uow, who, inbox.InboxFilters(task_type="review"))
        by_pathway = inbox.list_inbox(uow, who, inbox.InboxFilters(pathway="crisis_centre_adult"))
        other_centre = inbox.list_inbox(uow, who, inbox.InboxFilters(centre_id=world.other_centre_id))
    assert len(overdue.rows) == 1 and len(today.rows) == 0 and len(week.rows) == 2
    assert len(by_type.rows) == 3 and other_type.rows == [] and len(by_pathway.rows) == 3
    assert other_centre.rows == []
    assert [o.value for o in overdue.task_types] == ["assess"]


def test_bad_filters_are_a_422_not_a_500(as_role, world):
    client = as_role("social_worker")
    assert client.get("/inbox?scope=everything").status_code == 422
    assert client.get("/inbox?due=yesterday").status_code == 422
    assert client.get("/inbox?centre=abc&page=-4").status_code == 200


def test_pagination(services, world, as_role):
    open_cases(services, 30)
    client = as_role("social_worker")
    first = html_of(client.get("/inbox"))
    second = html_of(client.get("/inbox?page=2"))
    assert "Страница 1 от 2" in first and "Страница 2 от 2" in second
    assert first.count('class="task-link"') == 25 and second.count('class="task-link"') == 6


def test_claim_unclaim_and_audit(services, world, as_role):
    client = as_role("social_worker")
    response = client.post(f"/tasks/{world.own_task}/claim", data={"next": "/inbox?scope=mine"})
    assert response.headers["Location"] == "/inbox?scope=mine"
    html = html_of(client.get("/inbox?scope=mine"))
    assert "Initial assessment" in html and "Освободи" in html
    assert client.post(f"/tasks/{world.own_task}/unclaim").status_code == 302
    with services.uow() as uow:
        task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == world.own_task))
        assert task.assignee_id is None
        actions = uow.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.case_id == task.case_id, AuditEvent.action.like("task.%")
            )
        ).all()
    assert actions == ["task.claim", "task.unclaim"]


def test_claim_of_a_task_someone_holds_is_a_conflict(services, world, app):
    from tests.web.conftest import PASSWORD

    first, second = app.test_client(), app.test_client()
    login(first, username("social_worker"))
    with services.uow() as uow:
        from engine.people.permissions import SYSTEM
        from engine.people.users import create_user

        create_user(uow, SYSTEM, "a-social-2", PASSWORD, "kc-test", "social_worker")
        uow.commit()
    login(second, "a-social-2")
    assert first.post(f"/tasks/{world.own_task}/claim").status_code == 302
    conflict = second.post(f"/tasks/{world.own_task}/claim")
    assert conflict.status_code == 409
    assert "Някой друг ви изпревари" in conflict.get_data(as_text=True)


def test_reassign_by_case_lead_only_to_the_tasks_role(services, world, as_role):
    lead = as_role("case_lead")
    page = html_of(lead.get("/inbox?scope=team"))
    assert f'<option value="{username("social_worker")}">' in page
    bad = lead.post(f"/tasks/{world.own_task}/reassign", data={"assignee": username("psychologist")})
    assert bad.status_code == 422
    outsider = lead.post(
        f"/tasks/{world.own_task}/reassign", data={"assignee": username("social_worker", False)}
    )
    assert outsider.status_code == 422
    assert (
        lead.post(
            f"/tasks/{world.own_task}/reassign", data={"assignee": username("social_worker")}
        ).status_code
        == 302
    )
    with services.uow() as uow:
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "task.reassign"))
        assert event.detail["to"] == username("social_worker") and event.actor == username("case_lead")
    assert (
        as_role("psychologist").post(f"/tasks/{world.own_task}/reassign", data={"assignee": ""}).status_code
        == 403
    )


def test_inbox_query_count_does_not_grow_with_rows(services, world, as_role, db_engine):
    client = as_role("social_worker")
    open_cases(services, 2)
    with QueryCounter(db_engine) as few:
        assert client.get("/inbox").status_code == 200
    open_cases(services, 20)
    with QueryCounter(db_engine) as many:
        assert client.get("/inbox").status_code == 200
    assert many.count == few.count, many.statements
    assert many.count <= 7, many.statements  # user, rows, counts, options, saved filters (none per row)


def test_team_inbox_query_count_with_assignees(services, world, as_role, db_engine):
    client = as_role("manager")
    open_cases(services, 2)
    with QueryCounter(db_engine) as few:
        client.get("/inbox?scope=team")
    open_cases(services, 15)
    with QueryCounter(db_engine) as many:
        client.get("/inbox?scope=team")
    assert many.count == few.count

"""The inbox page and ``GET /api/v1/tasks`` at scale: search, sort, paging, saved filters, the workload,
comments and follow-ups on the task page, e-mail preferences, notifications in the reader's language.
A search for a name reaches no log line."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from engine.notify.messages import KINDS
from engine.store.models import Case, Notification, OutboxEmail, User
from tests.web import api_fixtures as fx
from tests.web.conftest import html_of, open_case, username

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
NAME = "Галина Фотева"


def add_cases(services, names, centre="kc-test"):
    opener = username("social_worker", centre == "kc-test")
    with services.uow() as uow:
        made = [open_case(uow, centre, opener, name) for name in names]
        uow.commit()
        return [(case.public_id, case.number) for case in made]


def test_search_by_name_finds_only_the_own_centres_case_and_never_logs_the_name(
    services, as_role, world, caplog
):
    add_cases(services, [NAME, "Петър Иванов"])
    add_cases(services, ["Галина Другова"], centre="kc-other")
    client = as_role("social_worker")
    with caplog.at_level(logging.DEBUG):
        html = html_of(client.get("/inbox", query_string={"q": "галина ф"}))
        other = html_of(as_role("social_worker", own=False).get("/inbox", query_string={"q": "Галина"}))
    assert NAME in html and "Петър Иванов" not in html and "Галина Другова" not in html
    assert "Галина Другова" in other and NAME not in other
    assert 'value="галина ф"' in html  # the search box keeps the text
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "Галина" not in logged and "галина" not in logged and "%D0%B3" not in logged.lower()


def test_sort_and_paging_keep_the_search_in_their_links(services, as_role, world):
    add_cases(services, [f"Човек {i:02d}" for i in range(30)])
    html = html_of(as_role("case_lead").get("/inbox?scope=team&q=Човек&sort=case"))
    assert html.count('class="task-link"') == 25
    assert re.search(r'href="/inbox\?[^"]*page=2[^"]*"', html)
    link = re.search(r'href="(/inbox\?[^"]*page=2[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "q=%D0%A7%D0%BE%D0%B2%D0%B5%D0%BA" in link and "sort=case" in link and "scope=team" in link
    second = html_of(as_role("case_lead").get(link))
    assert second.count('class="task-link"') == 5
    assert as_role("case_lead").get("/inbox?sort=nonsense").status_code == 422


def test_a_saved_filter_is_listed_for_its_owner_only(services, as_role, world):
    worker = as_role("social_worker")
    response = worker.post("/inbox/filters", data={"name": "Мои спешни", "due": "overdue", "sort": "case"})
    assert response.status_code == 302 and "due=overdue" in response.headers["Location"]
    html = html_of(worker.get("/inbox"))
    assert 'href="/inbox?due=overdue&amp;sort=case">Мои спешни</a>' in html
    assert "Мои спешни" not in html_of(as_role("psychologist").get("/inbox"))
    assert worker.post("/inbox/filters", data={"name": ""}).status_code == 422


def test_the_api_takes_the_same_query_parameters(services, api, world):
    add_cases(services, [NAME, "Петър Иванов"])
    body = api.get("/tasks?q=ГАЛИНА&sort=case", "social_worker").get_json()
    assert [item["case"]["display_name"] for item in body["items"]] == [NAME]
    assert body["items"][0]["follow_up_on"] is None
    assert api.get("/tasks?q=Галина", "social_worker", own=False).get_json()["items"] == []
    bad = api.get("/tasks?sort=sideways", "social_worker")
    assert bad.status_code == 422 and "sort" in str(bad.get_json())
    assert api.get("/tasks?q=" + "x" * 101, "social_worker").status_code == 422


def test_the_reassign_list_shows_the_current_holder(services, as_role, world):
    lead = as_role("case_lead")
    assert (
        lead.post(
            f"/tasks/{world.own_task}/reassign", data={"assignee": username("social_worker")}
        ).status_code
        == 302
    )
    html = html_of(lead.get("/inbox?scope=team"))
    assert (
        f'<option value="{username("social_worker")}" selected>Служител social_worker — държи я сега</option>'
        in html
    )
    lead.post(f"/tasks/{world.own_task}/reassign", data={"assignee": ""})
    case_html = html_of(lead.get(f"/cases/{world.own_case}"))
    assert "на Служител social_worker" in case_html and "освободена за екипа" in case_html


def test_the_task_page_says_completing_takes_the_task_and_shows_comments(services, as_role, world):
    worker = as_role("social_worker")
    html = html_of(worker.get(f"/tasks/{world.own_task}"))
    assert 'id="takes-task"' in html
    assert worker.post(f"/tasks/{world.own_task}/comments", data={"body": "Обадих се."}).status_code == 302
    assert worker.post(f"/tasks/{world.own_task}/comments", data={"body": " "}).status_code == 422
    reader = html_of(as_role("psychologist").get(f"/tasks/{world.own_task}"))
    assert "Обадих се." in reader and "Служител social_worker" in reader
    done = worker.post(f"/tasks/{world.own_task}/complete", data={"f_note": "Среща.", "f_risk": "low"})
    assert done.status_code == 302
    page = html_of(worker.get(f"/tasks/{world.own_task}"))
    assert "още никой" not in page and "Изпълнена от" in page
    assert (
        as_role("social_worker", own=False)
        .post(f"/tasks/{world.own_task}/comments", data={"body": "x"})
        .status_code
        == 404
    )


def test_the_holder_sets_a_follow_up_date_and_a_bad_date_names_the_field(services, as_role, world):
    worker = as_role("social_worker")
    worker.post(f"/tasks/{world.own_task}/claim")
    bad = worker.post(f"/tasks/{world.own_task}/follow-up", data={"follow_up_on": "31.02.2025"})
    assert bad.status_code == 422 and "Въведете дата, например 2026-12-31." in html_of(bad)
    today = services.clock.now().date().isoformat()
    assert worker.post(f"/tasks/{world.own_task}/follow-up", data={"follow_up_on": today}).status_code == 302
    assert "Проследяване на" in html_of(worker.get("/inbox?scope=mine"))
    assert (
        as_role("case_lead")
        .post(f"/tasks/{world.own_task}/follow-up", data={"follow_up_on": today})
        .status_code
        == 403
    )


def test_preferences_choose_the_kinds_that_come_by_email(services, as_role, world):
    with services.uow() as uow:
        for name in (username("social_worker"), username("case_lead")):
            uow.session.scalar(select(User).where(User.username == name)).email = f"{name}@example.org"
        uow.commit()
    worker = as_role("social_worker")
    page = html_of(worker.get("/notifications/preferences"))
    assert page.count('type="checkbox"') == len(KINDS) and page.count("checked") == len(KINDS)
    kept = ["task.due_soon", "task.overdue", "task.follow_up", "escalation.opened"]
    assert worker.post("/notifications/preferences", data={"email": kept}).status_code == 302
    assert html_of(worker.get("/notifications/preferences")).count("checked") == 4
    assert worker.post("/notifications/preferences", data={"email": ["nonsense"]}).status_code == 422
    lead = as_role("case_lead")
    lead.post(f"/tasks/{world.own_task}/reassign", data={"assignee": username("social_worker")})
    with services.uow() as uow:
        told = uow.session.scalars(select(Notification).where(Notification.kind == "task.assigned")).all()
        assert len(told) == 1  # in the application always …
        mails = uow.session.scalars(
            select(OutboxEmail).where(OutboxEmail.notification_id == told[0].id)
        ).all()
        assert mails == []  # … but not by e-mail: the worker turned that kind off
    lead.post(f"/tasks/{world.own_task}/reassign", data={"assignee": username("case_lead")})
    with services.uow() as uow:  # the lead gave it to themself: nobody is told of their own act
        assert (
            len(uow.session.scalars(select(Notification).where(Notification.kind == "task.assigned")).all())
            == 1
        )


def test_notifications_are_shown_in_the_readers_language(services, as_role, world):
    lead = as_role("case_lead")
    lead.post(f"/tasks/{world.own_task}/reassign", data={"assignee": username("social_worker")})
    with services.uow() as uow:
        number = uow.session.scalar(select(Case.number).where(Case.public_id == world.own_case))
    worker = as_role("social_worker")
    assert f"Случай {number}: дадена ви е задачата „Initial assessment“" in html_of(
        worker.get("/notifications")
    )
    worker.post("/language", data={"locale": "en", "next": "/notifications"})
    english = html_of(worker.get("/notifications"))
    assert f"Case {number}: the task “Initial assessment” was given to you" in english
    assert f'href="/tasks/{world.own_task}"' in english
    manager = as_role("manager")
    manager.post("/language", data={"locale": "en", "next": "/notifications"})
    assert f"Case {number}: deadline “Initial assessment” has passed" in html_of(
        manager.get("/notifications")
    )


def test_an_old_notification_without_parameters_keeps_its_text(services, as_role, world):
    with services.uow() as uow:
        row = uow.session.get(Notification, world.own_notification)
        row.params, row.text = None, "Стар текст от преди"
        uow.commit()
    assert "Стар текст от преди" in html_of(as_role("manager").get("/notifications"))


def test_the_workload_links_to_the_filtered_inbox(services, as_role, world):
    lead = as_role("case_lead")
    lead.post(f"/tasks/{world.own_task}/reassign", data={"assignee": username("social_worker")})
    html = html_of(lead.get("/inbox/workload"))
    with services.uow() as uow:
        worker_id = uow.session.scalar(select(User.id).where(User.username == username("social_worker")))
    link = f"/inbox?scope=team&amp;centre={world.own_centre_id}&amp;holder={worker_id}"
    assert link in html and "Друг social_worker" not in html
    listed = html_of(lead.get(link.replace("&amp;", "&")))
    assert listed.count('class="task-link"') == 1
    assert as_role("social_worker").get("/inbox/workload").status_code == 403

"""Notifications in the web app: the header badge, the list, marking read; only ever one's own.

The world gives each centre's manager one unread notification about their centre's case (its number
and a link only). The clock stands at 2025-08-31 10:00 Sofia time.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.store.models import Case, Notification
from tests.web.conftest import QueryCounter, csrf_client, csrf_token_of, html_of, login, make_app, username

OWN_NAME, OWN_ADDRESS = "Мария П.", "ул. Тайна 1"


def unread_of(services, name: str) -> int:
    with services.uow() as uow:
        query = select(Notification.id).where(
            Notification.read_at.is_(None), Notification.user_id == user_id(uow, name)
        )
        return len(uow.session.scalars(query).all())


def user_id(uow, name: str) -> int:
    from engine.people.users import get_user

    return get_user(uow, name).id


def badge(html: str) -> str | None:
    found = re.search(r'class="unread-badge">(\d+)', html)
    return found.group(1) if found else None


def add_notifications(services, name: str, count: int) -> None:
    with services.uow() as uow:
        uid = user_id(uow, name)
        for i in range(count):
            uow.session.add(
                Notification(
                    user_id=uid, kind="test", text=f"Случай T-{i}", link="", created_at=uow.clock.now()
                )
            )
        uow.commit()


def test_the_header_shows_the_users_unread_count(app, as_role, world):
    manager = as_role("manager")
    assert badge(html_of(manager.get("/inbox"))) == "1"
    assert badge(html_of(manager.get("/cases"))) == "1"
    worker_page = html_of(as_role("social_worker").get("/inbox"))
    assert "Известия" in worker_page and badge(worker_page) is None  # nothing unread: no badge
    anonymous = html_of(app.test_client().get("/login"))
    assert "Известия" not in anonymous and badge(anonymous) is None


def test_the_badge_costs_one_query_per_page(as_role, world, db_engine):
    client = as_role("manager")
    with QueryCounter(db_engine) as counter:
        assert client.get("/inbox").status_code == 200
    on_notifications = [s for s in counter.statements if "notification" in s.lower()]
    assert len(on_notifications) == 1 and "count(" in on_notifications[0].lower(), on_notifications


def test_the_list_shows_text_and_a_link_to_the_case_never_a_name_or_address(services, as_role, world):
    html = html_of(as_role("manager").get("/notifications"))
    with services.uow() as uow:
        number = uow.session.scalar(select(Case.number).where(Case.public_id == world.own_case))
    assert f"Случай {number}: изтече срокът „Първа оценка“" in html
    assert f'href="/cases/{world.own_case}"' in html
    assert OWN_NAME not in html and OWN_ADDRESS not in html
    assert world.other_case not in html  # the other centre's manager's notification is theirs alone
    assert "1 известие" in html and "1 непрочетено" in html


def test_the_list_in_english(as_role, world):
    client = as_role("manager")
    client.post("/language", data={"locale": "en", "next": "/notifications"})
    html = html_of(client.get("/notifications"))
    assert "1 notification" in html and "1 unread" in html and "Mark all read" in html
    assert "Open the case" in html and "Mark read" in html  # the text itself is in the user's locale


def test_the_list_is_paged(services, as_role, world):
    add_notifications(services, username("manager"), 25)
    client = as_role("manager")
    first, second = html_of(client.get("/notifications")), html_of(client.get("/notifications?page=2"))
    assert first.count('<li class="notification') == 20 and 'href="/notifications?page=2"' in first
    assert second.count('<li class="notification') == 6 and "Страница 2 от 2" in second
    assert client.get("/notifications?page=99999999999999999999").status_code == 422  # beyond any page
    assert client.get("/notifications?page=-3").status_code == 200


def test_marking_one_read(services, as_role, world):
    client = as_role("manager")
    response = client.post(f"/notifications/{world.own_notification}/read", data={"next": "/inbox"})
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert unread_of(services, username("manager")) == 0
    assert badge(html_of(client.get("/inbox"))) is None
    again = client.post(
        f"/notifications/{world.own_notification}/read", data={"next": "https://evil.example"}
    )
    assert again.status_code == 302 and again.headers["Location"] == "/notifications"  # twice is fine


def test_another_users_notification_does_not_exist(services, as_role, world):
    for role, own in (("case_lead", True), ("manager", False)):
        client = as_role(role, own=own)
        assert client.post(f"/notifications/{world.own_notification}/read").status_code == 404
    assert as_role("manager").post(f"/notifications/{world.other_notification}/read").status_code == 404
    for missing in ("0", "99999999999999999999", "abc"):
        assert as_role("manager").post(f"/notifications/{missing}/read").status_code == 404
    assert unread_of(services, username("manager")) == 1
    assert unread_of(services, username("manager", False)) == 1


def test_marking_all_read_touches_only_ones_own(services, as_role, world):
    add_notifications(services, username("manager"), 2)
    client = as_role("manager")
    response = client.post("/notifications/read-all")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    assert unread_of(services, username("manager")) == 0
    assert unread_of(services, username("manager", False)) == 1
    page = html_of(client.get("/notifications"))
    assert "3 известия са отбелязани като прочетени." in page and "Отбележи като прочетено" not in page


def test_nobody_signed_in_is_sent_to_sign_in(app, world):
    client = app.test_client()
    assert client.get("/notifications").headers["Location"].startswith("/login")
    assert client.post("/notifications/read-all").headers["Location"].startswith("/login")


def test_marking_read_needs_the_forms_csrf_token(services, world):
    client = csrf_client(services, "manager")
    page = html_of(client.get("/notifications"))
    for path in (f"/notifications/{world.own_notification}/read", "/notifications/read-all"):
        assert client.post(path).status_code == 400
    assert unread_of(services, username("manager")) == 1
    read = client.post(
        f"/notifications/{world.own_notification}/read", data={"csrf_token": csrf_token_of(page)}
    )
    assert read.status_code == 302 and unread_of(services, username("manager")) == 0


def test_the_badge_survives_a_failed_statement_on_the_error_page(services, world):
    """On PostgreSQL a failed statement spoils the transaction: the 500 page rolls back before its header."""
    from flask import Blueprint
    from sqlalchemy import text

    from web.db import request_uow

    app = make_app(services)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    probe = Blueprint("probe", __name__)
    probe.add_url_rule(
        "/probe-broken-sql", "broken", lambda: request_uow().session.execute(text("SELECT nope"))
    )
    app.register_blueprint(probe)
    client = app.test_client()
    login(client, username("manager"))
    response = client.get("/probe-broken-sql")
    assert response.status_code == 500 and badge(html_of(response)) == "1"

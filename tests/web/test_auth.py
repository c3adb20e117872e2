"""Signing in and out: sessions, the idle timeout, the rate limit, the language switch, headers, CSRF."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent, User
from tests.web.conftest import PASSWORD, csrf_token_of, html_of, login, make_app, username

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_sign_in_page_is_bulgarian_and_labelled(app):
    response = app.test_client().get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="bg">' in html
    assert '<label for="username">Потребителско име</label>' in html
    assert '<label for="password">Парола</label>' in html


def test_pages_need_sign_in_and_come_back_after_it(app, world):
    client = app.test_client()
    response = client.get(f"/cases/{world.own_case}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/cases/")
    response = client.post(
        "/login",
        data={
            "username": username("social_worker"),
            "password": PASSWORD,
            "next": f"/cases/{world.own_case}",
        },
    )
    assert response.headers["Location"] == f"/cases/{world.own_case}"


def test_next_never_leaves_the_site(app, world):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        client = app.test_client()
        response = client.post(
            "/login", data={"username": username("social_worker"), "password": PASSWORD, "next": target}
        )
        assert response.headers["Location"] == "/inbox", target


def test_unknown_user_and_wrong_password_get_identical_answers(app, world, services):
    client = app.test_client()
    unknown = client.post("/login", data={"username": "nobody-here", "password": "whatever"})
    wrong = client.post("/login", data={"username": username("social_worker"), "password": "wrong password"})
    assert unknown.status_code == wrong.status_code == 401
    assert without_tokens(unknown.get_data(as_text=True)) == without_tokens(wrong.get_data(as_text=True))
    assert "Потребителското име или паролата не са верни." in wrong.get_data(as_text=True)
    assert "Set-Cookie" not in wrong.headers or "casepath_session" not in wrong.headers.get("Set-Cookie", "")
    with services.uow() as uow:
        failed = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.failed")).all()
        assert [(e.actor_id, e.ip) for e in failed] == [(None, "127.0.0.1"), (None, "127.0.0.1")]


def test_sign_in_is_rate_limited_with_a_clear_message(app, world):
    app.config["CASEPATH_LOGIN_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = client.post("/login", data={"username": username("social_worker"), "password": PASSWORD})
    assert limited.status_code == 429
    assert "Твърде много опити за вход" in limited.get_data(as_text=True)


def test_session_cookie_flags_and_rotation(app, world, services):
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = client.post("/login", data={"username": username("social_worker"), "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires" not in cookie  # a browser-session cookie
    with client.session_transaction() as session:
        assert "planted" not in session and session["_user_id"]
    secure_app = make_app(
        type(services)(**{**services.__dict__, "settings": services.settings.with_(secure_cookies=True)})
    )
    secure = secure_app.test_client().post(
        "/login", data={"username": username("social_worker"), "password": PASSWORD}
    )
    assert "Secure" in secure.headers["Set-Cookie"]


def test_session_is_bound_to_the_browser_that_signed_in(app, world):
    client = app.test_client()
    login(client, username("social_worker"))
    assert client.get("/inbox").status_code == 200
    moved = client.get("/inbox", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert moved.status_code == 302 and moved.headers["Location"].startswith("/login")
    assert client.get("/inbox").status_code == 302  # the stolen cookie is no longer signed in


def test_sign_out_ends_the_session(app, world):
    client = app.test_client()
    login(client, username("social_worker"))
    assert client.get("/inbox").status_code == 200
    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert client.get("/inbox").status_code == 302


def test_idle_session_is_signed_out(app, world, clock):
    client = app.test_client()
    login(client, username("social_worker"))
    clock.advance(timedelta(minutes=29))
    assert client.get("/inbox").status_code == 200  # activity keeps the session alive
    clock.advance(timedelta(minutes=29))
    assert client.get("/inbox").status_code == 200
    clock.advance(timedelta(minutes=31))
    response = client.get("/inbox")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = html_of(client.get("/login"))
    assert "Излязохте автоматично след 30 минути без активност." in page
    assert client.get("/inbox").status_code == 302


def test_deactivated_user_is_signed_out_at_the_next_request(app, world, services):
    client = app.test_client()
    login(client, username("social_worker"))
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == username("social_worker")))
        user.active = False
        uow.commit()
    assert client.get("/inbox").status_code == 302


def test_language_switch_is_remembered_for_the_user(app, world, services):
    client = app.test_client()
    login(client, username("social_worker"))
    response = client.post("/language", data={"locale": "en", "next": "/inbox"})
    assert response.headers["Location"] == "/inbox"
    assert "<h1>Inbox</h1>" in html_of(client.get("/inbox"))
    with services.uow() as uow:
        assert (
            uow.session.scalar(select(User.locale).where(User.username == username("social_worker"))) == "en"
        )
    other_browser = app.test_client()
    login(other_browser, username("social_worker"))
    assert '<html lang="en">' in html_of(other_browser.get("/inbox"))


def test_language_switch_works_before_signing_in(app):
    client = app.test_client()
    client.post("/language", data={"locale": "en"})
    assert "<h1>Sign in</h1>" in html_of(client.get("/login"))
    client.post("/language", data={"locale": "xx"})  # unknown: back to the default
    assert "<h1>Вход</h1>" in html_of(client.get("/login"))


def test_security_headers_on_pages(app, world):
    client = app.test_client()
    login(client, username("social_worker"))
    response = client.get(f"/cases/{world.own_case}")
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts_or_styles(app, world):
    client = app.test_client()
    login(client, username("manager"))
    pages = (
        "/inbox",
        f"/cases/{world.own_case}",
        f"/tasks/{world.own_task}",
        "/intake",
        "/cases",
        "/dashboard",
    )
    for path in (*pages, "/centres/kc-test/places"):
        html = html_of(client.get(path))
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), path
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html, path


def test_csrf_is_enforced_when_on(services, world):
    app = make_app(services, csrf=True)
    client = app.test_client()
    refused = client.post("/login", data={"username": username("social_worker"), "password": PASSWORD})
    assert refused.status_code == 400
    assert "Формулярът е изтекъл" in refused.get_data(as_text=True)
    token = csrf_token_of(html_of(client.get("/login")))
    response = client.post(
        "/login", data={"username": username("social_worker"), "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    task_page = html_of(client.get(f"/tasks/{world.own_task}"))
    forged = client.post(f"/tasks/{world.own_task}/complete", data={"f_note": "x", "f_risk": "low"})
    assert forged.status_code == 400
    done = client.post(
        f"/tasks/{world.own_task}/complete",
        data={"f_note": "x", "f_risk": "low", "csrf_token": csrf_token_of(task_page)},
    )
    assert done.status_code == 302


@pytest.mark.redis
def test_rate_limit_uses_redis_when_configured(services, world):
    import secrets

    from tests.conftest import need_service

    redis_url = need_service("CASEPATH_TEST_REDIS_URL", "Redis")
    app = make_app(
        type(services)(**{**services.__dict__, "settings": services.settings.with_(redis_url=redis_url)})
    )
    app.config["CASEPATH_LOGIN_LIMIT"] = "2 per minute"
    assert app.extensions["casepath_limiter"]._storage.__class__.__name__ == "RedisStorage"
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"198.51.100.{secrets.randbelow(250)}-{secrets.token_hex(4)}"
    statuses = [client.post("/login", data={"username": "x", "password": "y"}).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]

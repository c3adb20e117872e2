"""Sessions and tokens end when they should: sign-out, password change, deactivation, a removed role,
``revoke-tokens`` and expiry; sign-in guessing is throttled per account name, known or not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.people import administration
from engine.people.centres import find_centre
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, get_user, issue_token, principal_for, set_membership
from engine.store.models import ApiToken, AuditEvent
from tests.web import api_fixtures as fx
from tests.web.conftest import PASSWORD, html_of, login, make_app, username
from tests.web.test_auth import without_tokens

API = fx.API
WORKER = username("social_worker")
NEW_PASSWORD = "quiet river lantern 42"


def replay(app, cookie: str):  # type: ignore[no-untyped-def]
    """A new browser that presents a copied session cookie (same address: the session is bound to it)."""
    client = app.test_client()
    client.set_cookie("casepath_session", cookie)
    return client


def signed_in_cookie(app) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    client = app.test_client()
    login(client, WORKER)
    cookie = client.get_cookie("casepath_session")
    assert cookie is not None
    return client, cookie.value


def admin(services):  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        return principal_for(get_user(uow, username("admin")))


def token_for(services, *days: int) -> str:  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        token = issue_token(uow, SYSTEM, WORKER, *days)
        uow.commit()
    return token


def test_a_cookie_replayed_after_sign_out_reads_nothing(app, world):
    client, cookie = signed_in_cookie(app)
    assert replay(app, cookie).get(f"{API}/cases/{world.own_case}").status_code == 200
    client.post("/logout")
    assert replay(app, cookie).get(f"{API}/cases/{world.own_case}").status_code == 401
    page = replay(app, cookie).get(f"/cases/{world.own_case}")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_signing_out_ends_every_session_and_token_of_the_user(app, world, services):
    token = token_for(services)
    elsewhere, _ = signed_in_cookie(app)
    here, _ = signed_in_cookie(app)
    here.post("/logout")
    assert_all_ended(app, elsewhere, token)
    login(elsewhere, WORKER)  # signing in again works at once
    assert elsewhere.get("/inbox").status_code == 200


def assert_all_ended(app, client, token: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/inbox").status_code == 302
    refused = app.test_client().get(f"{API}/tasks", headers=fx.bearer(token))
    assert refused.status_code == 401 and refused.get_json()["error"] == "unauthorized"


def test_a_password_change_ends_sessions_and_tokens(app, world, services):
    token = token_for(services)
    elsewhere, _ = signed_in_cookie(app)
    here, _ = signed_in_cookie(app)
    changed = here.post(
        "/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert changed.status_code == 302
    assert here.get("/inbox").status_code == 200  # this browser goes on with a fresh session
    assert_all_ended(app, elsewhere, token)
    login(elsewhere, WORKER, NEW_PASSWORD)
    assert elsewhere.get("/inbox").status_code == 200


def test_a_new_role_elsewhere_ends_nothing(app, world, services):
    token = token_for(services)
    client, _ = signed_in_cookie(app)
    with services.uow() as uow:
        other_admin = principal_for(get_user(uow, username("admin", False)))
        administration.grant_role(uow, other_admin, WORKER, "kc-other", "psychologist")
        uow.commit()  # a role in another centre, nothing taken away
    assert client.get("/inbox").status_code == 200
    assert app.test_client().get(f"{API}/tasks", headers=fx.bearer(token)).status_code == 200


def test_deactivation_ends_sessions_and_tokens_for_good(app, world, services):
    token = token_for(services)
    client, cookie = signed_in_cookie(app)
    for active in (False, True):  # reactivating does not bring the old session or token back
        with services.uow() as uow:
            administration.set_user_active(uow, admin(services), WORKER, active)
            uow.commit()
    assert_all_ended(app, client, token)
    assert replay(app, cookie).get(f"{API}/tasks").status_code == 401


def test_a_removed_role_ends_sessions_and_tokens(app, world, services):
    token = token_for(services)
    client, _ = signed_in_cookie(app)
    with services.uow() as uow:
        set_membership(uow, get_user(uow, WORKER), find_centre(uow, "kc-test"), "educator")
        uow.commit()
    assert_all_ended(app, client, token)
    with services.uow() as uow:
        reasons = uow.session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "user.credentials_revoked")
        ).all()
    assert reasons == [{"reason": "role_removed", "tokens": 1}]


def test_a_token_expires(app, world, services, clock):
    token = token_for(services, 2)
    client = app.test_client()
    assert client.get(f"{API}/tasks", headers=fx.bearer(token)).status_code == 200
    clock.advance(timedelta(days=2, seconds=-1))
    assert client.get(f"{API}/tasks", headers=fx.bearer(token)).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = client.get(f"{API}/tasks", headers=fx.bearer(token))
    assert expired.status_code == 401 and "expired" in expired.get_json()["message"]


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_a_token_needs_a_sensible_lifetime(world, services, days):
    from engine.errors import ValidationFailed

    with services.uow() as uow, pytest.raises(ValidationFailed) as refused:
        issue_token(uow, SYSTEM, WORKER, days)
    assert list(refused.value.fields) == ["days"]


# --- passwords ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaa",
        "1234567890",
        " " * 10,
        "a-new-worker",
        "a-new-worker1",
        "password12",
        "qwertyuiop",
        "short",
    ],
)
def test_weak_and_user_derived_passwords_are_refused(world, services, password):
    from engine.errors import ValidationFailed

    with services.uow() as uow, pytest.raises(ValidationFailed) as refused:
        create_user(uow, SYSTEM, "a-new-worker", password, "kc-test", "social_worker", "Нов Работник")
    assert list(refused.value.fields) == ["password"]


def test_a_password_from_the_display_name_is_refused(world, services):
    from engine.errors import ValidationFailed

    with services.uow() as uow, pytest.raises(ValidationFailed):
        create_user(uow, SYSTEM, "m-ivanova", "Mariya Ivanova", "kc-test", "educator", "Mariya Ivanova")


def test_the_admin_page_explains_a_weak_password(app, world, as_role):
    response = as_role("admin").post(
        "/admin/users",
        data={"username": "a-weak", "password": "1234567890", "centre": "kc-test", "role": "educator"},
    )
    assert response.status_code == 422
    assert "Твърде лесна за отгатване" in html_of(response)


# --- throttling per account -----------------------------------------------------------------------


def attempt(app, name: str, password: str, n: int, address: str = ""):  # type: ignore[no-untyped-def]
    """A sign-in from ``address``, or from an address of its own each time (``n`` picks it)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address or f"198.51.100.{n % 250 + 1}"
    return client.post("/login", data={"username": name, "password": password})


GUESSER = "203.0.113.9"


@pytest.mark.parametrize("name", [WORKER, "nobody-at-all"])
def test_guessing_from_one_address_is_throttled_across_processes_known_or_not(services, world, clock, name):
    first, second = make_app(services), make_app(services)  # two web processes, one database
    pair = (first, second)
    statuses = [attempt(pair[n % 2], name, f"guess {n}", n, GUESSER).status_code for n in range(5)]
    assert statuses == [401] * 5
    assert attempt(first, name, "guess 6", 6, GUESSER).status_code == 401  # the sixth failure locks
    locked = attempt(second, name, PASSWORD, 7, GUESSER)  # even the right password, from another process
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 30
    assert "Твърде много неуспешни опити за вход с това потребителско име" in html_of(locked)
    clock.advance(timedelta(seconds=31))
    assert attempt(first, name, "guess 8", 8, GUESSER).status_code == 401  # locks again, for longer
    assert int(attempt(first, name, PASSWORD, 9, GUESSER).headers["Retry-After"]) > 30


def test_one_guesser_does_not_lock_the_person_out_at_their_own_computer(app, world):
    app.config["CASEPATH_LOGIN_LIMIT"] = "1000 per minute"  # the per-account throttle answers here
    for n in range(8):
        attempt(app, WORKER, f"guess {n}", n, GUESSER)
    assert attempt(app, WORKER, PASSWORD, 9, GUESSER).status_code == 429
    assert attempt(app, WORKER, PASSWORD, 10, "192.0.2.44").status_code == 302


@pytest.mark.parametrize("name", [WORKER, "nobody-at-all"])
def test_guessing_spread_over_many_addresses_is_throttled_too(app, world, name):
    statuses = [attempt(app, name, f"guess {n}", n).status_code for n in range(20)]
    assert statuses == [401] * 20
    assert attempt(app, name, "guess 21", 21).status_code == 401  # the 21st failure locks the name
    assert attempt(app, name, PASSWORD, 22).status_code == 429  # from yet another address


def test_known_and_unknown_names_get_the_same_throttled_answer(app, world):
    app.config["CASEPATH_LOGIN_LIMIT"] = "1000 per minute"  # the per-account throttle answers here
    answers = {}
    for name in (WORKER, "nobody-at-all"):
        for n in range(6):
            attempt(app, name, "not the password", n, GUESSER)
        answers[name] = attempt(app, name, "not the password", 7, GUESSER)
    known, unknown = answers[WORKER], answers["nobody-at-all"]
    assert known.status_code == unknown.status_code == 429
    assert "Твърде много неуспешни опити за вход с това потребителско име" in html_of(known)
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]
    assert without_tokens(known.get_data(as_text=True)) == without_tokens(unknown.get_data(as_text=True))


def test_a_success_forgets_the_failures(app, world, clock):
    for n in range(5):
        attempt(app, WORKER, "not the password", n)
    assert attempt(app, WORKER, PASSWORD, 5).status_code == 302
    for n in range(5):
        assert attempt(app, WORKER, "not the password", n).status_code == 401
    assert attempt(app, WORKER, PASSWORD, 5).status_code == 302


def test_the_throttle_stores_no_names(app, world, services):
    from engine.store.models import SignInThrottle

    attempt(app, "nobody-at-all", "x", 1, GUESSER)
    with services.uow() as uow:
        keys = uow.session.scalars(select(SignInThrottle.account_key)).all()
    assert len(keys) == 2  # the name from this address, and the name from anywhere
    assert all("nobody" not in key and GUESSER not in key and len(key) == 64 for key in keys)


def test_token_rows_keep_their_expiry(world, services, clock):
    token_for(services, 7)
    with services.uow() as uow:
        [row] = uow.session.scalars(select(ApiToken)).all()
        assert row.expires_at == clock.now() + timedelta(days=7) and row.revoked_at is None


def test_changing_a_password_needs_the_current_one_and_a_strong_new_one(app, world, services):
    token = token_for(services)
    client, _ = signed_in_cookie(app)
    wrong = client.post(
        "/account/password", data={"current_password": "not it at all", "new_password": NEW_PASSWORD}
    )
    assert wrong.status_code == 422 and 'id="current_password-error"' in html_of(wrong)
    weak = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "1234567890"})
    assert weak.status_code == 422 and 'id="new_password-error"' in html_of(weak)
    assert client.get("/inbox").status_code == 200  # nothing ended, nothing changed
    assert app.test_client().get(f"{API}/tasks", headers=fx.bearer(token)).status_code == 200
    again = app.test_client()
    login(again, WORKER, PASSWORD)  # the old password still works
    assert again.get("/inbox").status_code == 200


def test_no_administrator_page_sets_a_password_of_its_choosing(app, world):
    """An administrator may reset a password (issue 15), never choose it: the reset gives a random one,
    which opens nothing but the password form until the user has chosen their own."""
    admin_client = app.test_client()
    login(admin_client, username("admin"))
    data = {"reset_username": WORKER, "reset_password": NEW_PASSWORD, "password": NEW_PASSWORD}
    assert admin_client.post("/admin/passwords", data=data).status_code in (404, 405)
    admin_rules = [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    assert [rule for rule in admin_rules if "password" in rule] == ["/admin/users/<username>/password"]
    reset = admin_client.post(f"/admin/users/{WORKER}/password", data=data)
    assert reset.status_code == 200 and NEW_PASSWORD not in reset.get_data(as_text=True)
    chosen = app.test_client()
    chosen.environ_base["REMOTE_ADDR"] = "10.5.0.1"
    assert chosen.post("/login", data={"username": WORKER, "password": NEW_PASSWORD}).status_code != 302

"""``casepath users token USER [--days N]`` and ``casepath users revoke-tokens USER``, run for real."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.config import load_settings
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.services import Services
from engine.store.models import ApiToken
from tests.cli.test_cli import casepath, env  # noqa: F401  (the fixture)
from web.app import create_app


@pytest.fixture
def services(env):  # type: ignore[no-untyped-def]  # noqa: F811
    assert casepath(env, "db", "upgrade").exit_code == 0
    found = Services.from_settings(load_settings({**env, "CASEPATH_SECRET_KEY": "cli-token-tests"}))
    with found.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-cli", "КЦ", "crisis_centre", 12)
        uow.commit()
    made = casepath(
        env,
        "users",
        "create",
        "maria",
        "--centre",
        "kc-cli",
        "--role",
        "social_worker",
        stdin="long enough pw\n",
    )
    assert made.exit_code == 0, made.output
    yield found
    found.engine.dispose()


def tasks_status(services: Services, token: str) -> int:
    client = create_app(services.settings, services).test_client()
    return client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code


def test_token_days_sets_the_expiry_and_prints_only_the_token(env, services):  # noqa: F811
    issued = casepath(env, "users", "token", "maria", "--days", "3")
    assert issued.exit_code == 0 and issued.output.startswith("cp_") and len(issued.output.splitlines()) == 1
    with services.uow() as uow:
        row = uow.session.scalars(select(ApiToken)).one()
        assert row.expires_at - row.created_at == timedelta(days=3)
    default = casepath({**env, "CASEPATH_TOKEN_DAYS": "30"}, "users", "token", "maria")
    assert default.exit_code == 0
    with services.uow() as uow:
        lifetimes = {r.expires_at - r.created_at for r in uow.session.scalars(select(ApiToken))}
    assert lifetimes == {timedelta(days=3), timedelta(days=30)}


@pytest.mark.parametrize("days", ["0", "-5", "3651", "many"])
def test_token_days_out_of_range_is_a_usage_error(env, services, days):  # noqa: F811
    refused = casepath(env, "users", "token", "maria", "--days", days)
    assert refused.exit_code == 2 and "--days" in refused.output and "Traceback" not in refused.output


def test_revoke_tokens_stops_every_token_of_the_user(env, services):  # noqa: F811
    tokens = [casepath(env, "users", "token", "maria").output.strip() for _ in range(2)]
    assert [tasks_status(services, token) for token in tokens] == [200, 200]
    revoked = casepath(env, "users", "revoke-tokens", "maria")
    assert revoked.exit_code == 0 and "revoked 2 tokens of maria" in revoked.output
    assert [tasks_status(services, token) for token in tokens] == [401, 401]
    again = casepath(env, "users", "revoke-tokens", "maria")
    assert again.exit_code == 0 and "revoked 0 tokens of maria" in again.output
    fresh = casepath(env, "users", "token", "maria").output.strip()
    assert tasks_status(services, fresh) == 200


def test_revoke_tokens_of_an_unknown_user_fails_clearly(env, services):  # noqa: F811
    refused = casepath(env, "users", "revoke-tokens", "nobody")
    assert refused.exit_code == 1 and "does not exist" in refused.output


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "1234567890", " " * 10, "ivan123456"])
def test_users_create_refuses_weak_passwords(env, services, password):  # noqa: F811
    refused = casepath(
        env, "users", "create", "ivan", "--centre", "kc-cli", "--role", "educator", stdin=password + "\n"
    )
    assert refused.exit_code == 1 and "password" in refused.output


def test_users_password_sets_a_new_password_and_ends_every_token(env, services):  # noqa: F811
    token = casepath(env, "users", "token", "maria").output.strip()
    assert tasks_status(services, token) == 200
    changed = casepath(env, "users", "password", "maria", stdin="a brand new passphrase\n")
    assert changed.exit_code == 0, changed.output
    assert tasks_status(services, token) == 401
    weak = casepath(env, "users", "password", "maria", stdin="1234567890\n")
    assert weak.exit_code == 1 and "password" in weak.output and "Traceback" not in weak.output
    unknown = casepath(env, "users", "password", "nobody", stdin="a brand new passphrase\n")
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output

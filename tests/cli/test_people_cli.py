"""``casepath users create|grant`` and ``pathways deploy --by``: the same services as the pages (issue 8)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine.config import load_settings
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.people.users import authenticate
from engine.services import Services
from engine.store.models import AuditEvent, Membership, PathwayVersion, User
from tests.cli.test_cli import casepath, env  # noqa: F401  (the fixture)
from tests.engine.conftest import mini_pathway

FIRST, SECOND = "first password 1", "second password 2"


def _services(environment: dict[str, str]) -> Services:
    return Services.from_settings(load_settings(environment))


def _setup(environment: dict[str, str]) -> None:
    assert casepath(environment, "db", "upgrade").exit_code == 0
    services = _services(environment)
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-cli", "КЦ", "crisis_centre", 12)
        ensure_centre(uow, SYSTEM, "cop-cli", "ЦОП", "community_support", 60)
        uow.commit()
    services.engine.dispose()


def _user(environment: dict[str, str], *args: str, password: str = FIRST) -> int:
    return casepath(environment, "users", *args, stdin=password + "\n").exit_code


def test_users_create_refuses_an_existing_username_and_grant_keeps_the_password(env):  # noqa: F811
    _setup(env)
    assert _user(env, "create", "maria", "--centre", "kc-cli", "--role", "social_worker") == 0
    again = casepath(
        env, "users", "create", "Maria", "--centre", "cop-cli", "--role", "manager", stdin=SECOND + "\n"
    )
    assert again.exit_code == 1 and "this username is taken" in again.output
    granted = casepath(env, "users", "grant", "maria", "--centre", "cop-cli", "--role", "manager")
    assert granted.exit_code == 0 and "maria is manager in cop-cli" in granted.output
    mixed = casepath(env, "users", "grant", "maria", "--centre", "kc-cli", "--role", "admin")
    assert mixed.exit_code == 1 and "never held by one person" in mixed.output
    nobody = casepath(env, "users", "grant", "nobody", "--centre", "kc-cli", "--role", "educator")
    assert nobody.exit_code == 1 and "does not exist" in nobody.output
    services = _services(env)
    with services.uow() as uow:
        assert authenticate(uow, "maria", FIRST) is not None
        assert authenticate(uow, "maria", SECOND) is None
        roles = uow.session.execute(
            select(Membership.role).join(User).where(User.username == "maria").order_by(Membership.role)
        ).scalars()
        assert list(roles) == ["manager", "social_worker"]
        grants = select(AuditEvent.subject).where(AuditEvent.action == "role.grant")
        assert uow.session.scalars(grants).all() == ["maria", "maria"]
    services.engine.dispose()


def test_pathways_deploy_by_a_coordinator_of_another_kind_of_centre_is_refused(env, tmp_path: Path):  # noqa: F811
    _setup(env)
    assert _user(env, "create", "cop-coord", "--centre", "cop-cli", "--role", "coordinator") == 0
    assert _user(env, "create", "kc-coord", "--centre", "kc-cli", "--role", "coordinator") == 0
    adult = tmp_path / "crisis_centre_adult.bpmn"
    adult.write_bytes(mini_pathway())
    refused = casepath(env, "pathways", "deploy", str(adult), "--by", "cop-coord")
    assert refused.exit_code == 1 and "uses this pathway" in refused.output
    deployed = casepath(env, "pathways", "deploy", str(adult), "--by", "kc-coord")
    assert deployed.exit_code == 0 and "deployed crisis_centre_adult version 1" in deployed.output
    services = _services(env)
    with services.uow() as uow:
        assert len(uow.session.scalars(select(PathwayVersion.id)).all()) == 1
    services.engine.dispose()

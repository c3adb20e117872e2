"""Fixtures for service tests: a centre, staff for each role, and a small pathway deployed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import create_user, principal_for
from engine.store.uow import UnitOfWork
from tests.conftest import FIXTURES

STAFF_ROLES = ("social_worker", "psychologist", "case_lead", "manager", "coordinator", "admin")


def mini_pathway(process_id: str = "crisis_centre_adult", replace: dict[str, str] | None = None) -> bytes:
    """The test pathway under another process id (open_case picks pathways by id)."""
    text = (FIXTURES / "mini.bpmn").read_text(encoding="utf-8").replace('id="mini"', f'id="{process_id}"')
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    return text.encode("utf-8")


@dataclass
class World:
    centre_id: int
    other_centre_id: int
    staff: dict[str, Principal]
    outsider: Principal  # a social worker of the other centre


@pytest.fixture
def world(make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog) -> World:
    return build_world(make_uow, fixture_forms)


@pytest.fixture
def committed_world(make_committed_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog) -> World:
    return build_world(make_committed_uow, fixture_forms)


def build_world(make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog) -> World:
    with make_uow() as uow:
        centre = ensure_centre(uow, SYSTEM, "kc-test", "КЦ Тест", "crisis_centre", 12, "ул. Тайна 1")
        other = ensure_centre(uow, SYSTEM, "kc-other", "КЦ Друг", "crisis_centre", 10, "ул. Друга 2")
        staff = {}
        for role in STAFF_ROLES:
            user = create_user(
                uow, SYSTEM, f"t-{role.replace('_', '-')}", "correct horse battery", "kc-test", role
            )
            staff[role] = principal_for(user)
        outsider = principal_for(
            create_user(uow, SYSTEM, "o-social", "correct horse battery", "kc-other", "social_worker")
        )
        versions.deploy(uow, mini_pathway(), fixture_forms, staff["coordinator"], "mini.bpmn")
        uow.commit()
        return World(centre.id, other.id, staff, outsider)

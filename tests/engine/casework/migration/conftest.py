"""The demo's kc-demo centre with its adult cases, worked up to a fixed day, and a six-weekly version of
the adult pathway: the migration tests move these cases from the shipped version to that one."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cli.demo import case_plans, make_case, username_for
from engine.clock import FrozenClock
from engine.config import PROJECT_ROOT, Settings
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.people.roles import ROLES
from engine.people.users import create_user, principal_for
from engine.services import Services
from engine.store.models import User
from engine.store.uow import UnitOfWork

ADULT = PROJECT_ROOT / "workflows" / "pathways" / "crisis_centre_adult" / "crisis_centre_adult.bpmn"
TODAY = datetime.fromisoformat("2026-12-03T12:00:00+02:00")


def six_weekly(extra: dict[str, str] | None = None) -> bytes:
    """The shipped adult pathway with its monthly review every six weeks (the review itself, and its
    seven days, are the shared monthly_review sub-pathway's, which this version calls as the first did)."""
    text = ADULT.read_text(encoding="utf-8")
    text = text.replace("<bpmn:timeCycle>R/P1M</bpmn:timeCycle>", "<bpmn:timeCycle>R/P6W</bpmn:timeCycle>")
    for old, new in (extra or {}).items():
        text = text.replace(old, new)
    return text.encode("utf-8")


@dataclass
class Demo:
    services: Services
    clock: FrozenClock
    coordinator: Principal
    manager: Principal
    worker: Principal

    def uow(self) -> UnitOfWork:
        return self.services.uow()


def build_demo(factory: sessionmaker[Session], plans: int) -> Demo:
    """kc-demo with its users and the shipped pathways, and its ``plans`` newest adult cases (those that
    are still open today: the ones admitted 170 days ago or more have left)."""
    clock = FrozenClock(TODAY)
    settings = Settings(database_url="sqlite://")
    services = Services(settings, factory.kw["bind"], factory, _forms(), clock)
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-demo", "КЦ демо", "crisis_centre", 12, "ул. Тайна 1")
        versions.deploy_shipped(uow, settings.workflows_dir, services.forms, SYSTEM)
        for role in ROLES:
            create_user(
                uow, SYSTEM, username_for("kc-demo", role.code), "correct horse battery", "kc-demo", role.code
            )
        uow.commit()
    adults = sorted(  # the newest first: a few plans give cases still early in their stay
        (
            p
            for p in case_plans(random.Random(20261122))
            if p.centre == "kc-demo" and p.birth_date.year < 2007 and p.days_ago < 170
        ),
        key=lambda plan: plan.days_ago,
    )
    for plan in adults[:plans]:
        make_case(services, plan, clock.now())
    with services.uow() as uow:
        people = {
            role: principal_for(
                uow.session.scalar(select(User).where(User.username == username_for("kc-demo", role)))
            )
            for role in ("coordinator", "manager", "social_worker")
        }
    return Demo(services, clock, people["coordinator"], people["manager"], people["social_worker"])


def _forms():  # type: ignore[no-untyped-def]
    from engine.pathways.forms import FormCatalog
    from tests.conftest import WORKFLOWS

    return FormCatalog(WORKFLOWS / "forms")


@pytest.fixture
def make_demo(session_factory: sessionmaker[Session]) -> Callable[[int], Demo]:
    return lambda plans: build_demo(session_factory, plans)

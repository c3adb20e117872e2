"""``casepath demo``: two centres, a user per role, ~30 cases over every stage, some overdue; idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from cli.demo import load_demo, username_for
from engine.config import Settings
from engine.people import places
from engine.people.centres import find_centre, occupancy
from engine.people.roles import ROLES
from engine.services import Services
from engine.store import schema
from engine.store.models import Case, CaseLink, CaseTask, Centre, User


def test_demo_loads_once_with_cases_at_every_stage(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    schema.upgrade(url)
    services = Services.from_settings(Settings(database_url=url, instance_dir=tmp_path))
    progress: list[tuple[int, int]] = []
    first = load_demo(services, lambda done, total: progress.append((done, total)))
    assert first.startswith("loaded 30 demo cases") and progress[-1] == (30, 30)
    assert load_demo(services).startswith("demo data already loaded (30 cases)")
    with services.uow() as uow:
        centres = {c.code: (c.kind, c.capacity) for c in uow.session.scalars(select(Centre))}
        assert centres == {"kc-demo": ("crisis_centre", 12), "cop-demo": ("community_support", 60)}
        usernames = set(uow.session.scalars(select(User.username)))
        assert {username_for(code, role.code) for code in centres for role in ROLES} <= usernames
        statuses = dict(uow.session.execute(select(Case.status, func.count()).group_by(Case.status)).all())
        assert statuses.get("closed", 0) >= 1 and statuses.get("open", 0) >= 10 and "incident" not in statuses
        now = datetime.now(UTC)
        overdue = uow.session.scalar(
            select(func.count()).select_from(CaseTask).where(CaseTask.status == "open", CaseTask.due_at < now)
        )
        assert overdue >= 3
        stages = set(uow.session.scalars(select(CaseTask.element_id).where(CaseTask.status == "open")))
        assert len(stages) >= 6  # cases wait at many different steps of their pathways
        kc = find_centre(uow, "kc-demo")
        residents = occupancy(uow, kc).open_cases
        assert 0 < residents <= kc.capacity  # the crisis centre is coherent: every resident has a place
        assert places.residents_without_place(uow, kc.id) == []
        assert sum(1 for row in places.list_places(uow, kc.id) if row.case_number) == residents
        assert places.waiting_count(uow, kc.id) == 2
        family = uow.session.execute(select(CaseLink.from_case_id, CaseLink.kind)).all()
        assert len(family) == 2 and {kind for _parent, kind in family} == {"family"}
    services.engine.dispose()

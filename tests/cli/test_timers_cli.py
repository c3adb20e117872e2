"""``casepath timers sweep --now`` and ``timers list`` on a case admitted on 31 August 2023."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from engine.casework import deadlines
from engine.clock import FrozenClock, parse_instant
from engine.config import load_settings
from engine.pathways.forms import FormCatalog
from engine.services import Services
from engine.store.models import CaseTask
from tests.conftest import FIXTURES
from tests.engine.conftest import build_world
from tests.timer_support import open_in_stay


def casepath(env: dict[str, str], *args: str) -> list[str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_sweep_now_fires_exit_planning_and_the_cap_on_their_days(tmp_path: Path):
    workflows = tmp_path / "workflows"
    shutil.copytree(FIXTURES / "forms", workflows / "forms")
    env = {
        "CASEPATH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CASEPATH_INSTANCE_DIR": str(tmp_path / "instance"),
        "CASEPATH_WORKFLOWS_DIR": str(workflows),
    }
    casepath(env, "db", "upgrade")
    clock = FrozenClock(parse_instant("2023-08-31T10:00:00+03:00"))
    services = Services.from_settings(load_settings(env), clock=clock)
    forms = FormCatalog(workflows / "forms")
    world = build_world(services.uow, forms)
    case_id, _ = open_in_stay(services.uow, world, forms, clock)

    assert casepath(env, "timers", "list")[-1] == "3 pending deadlines"
    assert casepath(env, "timers", "list", "--due-before", "2024-01-31")[-1] == "1 pending deadlines"
    assert casepath(env, "timers", "sweep", "--now", "2024-01-31T09:59:59+02:00")[-1] == "fired 1 deadlines"
    assert casepath(env, "timers", "sweep", "--now", "2024-01-31T10:00:00+02:00")[-1] == "fired 1 deadlines"
    assert casepath(env, "timers", "sweep", "--now", "2024-02-29T09:59:59+02:00")[-1] == "fired 0 deadlines"
    assert casepath(env, "timers", "sweep", "--now", "2024-02-29T10:00:00+02:00")[-1] == "fired 1 deadlines"
    with services.uow() as uow:
        names = set(
            uow.session.scalars(
                select(CaseTask.name).where(CaseTask.case_id == case_id, CaseTask.status == "open")
            )
        )
        assert {"Exit planning", "Exit decision"} <= names and "Plan review" not in names
        assert deadlines.last_sweep(uow) is None  # sweeps "as if" at another instant say nothing about health
    assert casepath(env, "timers", "sweep")[-1] == "fired 0 deadlines"
    with services.uow() as uow:
        assert deadlines.last_sweep(uow).runner == "cli"
    services.engine.dispose()

"""``casepath occupancy record``: the occupancy chart's days on demand, and clear errors for bad dates."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from engine.config import load_settings
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.services import Services
from engine.store.models import OccupancyDay


def test_occupancy_record_writes_the_days_and_refuses_bad_dates(tmp_path: Path):
    env = {
        "CASEPATH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CASEPATH_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    services = Services.from_settings(load_settings(env))
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-cli", "КЦ", "crisis_centre", 10)
        uow.commit()
    done = runner.invoke(main, ["occupancy", "record", "--from", "2026-01-01", "--to", "2026-01-31"], env=env)
    assert done.exit_code == 0 and done.output.splitlines()[-1] == "occupancy_days_written 31"
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(OccupancyDay)) == 31
    for args, message in (
        (["--from", "2026-02-30"], "--from: a date as YYYY-MM-DD"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "--to: on or after --from"),
        (["--from", "2020-01-01", "--to", "2026-01-01"], "a range of 1 to"),
    ):
        bad = runner.invoke(main, ["occupancy", "record", *args], env=env)
        assert bad.exit_code != 0 and message in bad.output, bad.output
        assert "Traceback" not in bad.output
    services.engine.dispose()

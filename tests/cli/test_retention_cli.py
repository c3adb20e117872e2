"""``casepath cases retention [--dry-run]``: what would be pseudonymised, then doing it, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from engine.casework import cases
from engine.config import load_settings
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, principal_for
from engine.services import Services
from engine.store.models import Case
from tests.conftest import FIXTURES
from tests.engine.conftest import mini_pathway


def test_retention_lists_then_pseudonymises_old_closed_cases_once(tmp_path: Path):
    env = {
        "CASEPATH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CASEPATH_INSTANCE_DIR": str(tmp_path / "instance"),
        "CASEPATH_WORKFLOWS_DIR": str(FIXTURES),  # the mini pathway's forms
        "CASEPATH_RETENTION_YEARS": "3",
    }
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    services = Services.from_settings(load_settings(env))
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-cli", "КЦ", "crisis_centre", 10, "ул. Тайна 9")
        user = create_user(uow, SYSTEM, "m-manager", "correct horse battery", "kc-cli", "manager")
        manager = principal_for(user)
        versions.deploy(uow, mini_pathway(), services.forms, SYSTEM, "mini.bpmn")
        intake = cases.Intake("kc-cli", "Мария Тайна", "urgent", "domestic_violence")
        numbers = []
        for closed in ("2019-05-02", "2020-01-10", ""):
            case = cases.open_case(uow, manager, intake)
            cases.close_case(uow, manager, case.public_id, "напусна")
            if closed:
                case.closed_at = datetime.fromisoformat(closed + "T09:00:00").replace(tzinfo=UTC)
            numbers.append(case.number)
        uow.commit()
    dry = runner.invoke(main, ["cases", "retention", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[:2] == [f"{numbers[0]} closed 2019-05-02", f"{numbers[1]} closed 2020-01-10"]
    assert lines[2].startswith("would pseudonymise 2 cases closed before ") and len(lines) == 3
    assert "Мария" not in dry.output and "Тайна" not in dry.output
    done = runner.invoke(main, ["cases", "retention"], env=env)
    assert done.exit_code == 0 and done.output.splitlines()[-1].startswith("pseudonymised 2 cases closed")
    again = runner.invoke(main, ["cases", "retention"], env=env)
    assert again.output.splitlines() == [again.output.splitlines()[-1]]
    assert again.output.startswith("pseudonymised 0 cases")
    with services.uow() as uow:
        names = {row[0]: row[1] for row in uow.session.execute(select(Case.number, Case.display_name))}
        assert [names[number] for number in numbers] == ["—", "—", "Мария Тайна"]
    bad = runner.invoke(main, ["cases", "retention"], env={**env, "CASEPATH_RETENTION_YEARS": "0"})
    assert bad.exit_code != 0 and "CASEPATH_RETENTION_YEARS" in bad.output and "Traceback" not in bad.output
    services.engine.dispose()

"""The ``casepath`` command as operators use it: exit codes, output lines, no tracebacks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import main
from tests.conftest import FIXTURES

MINI = str(FIXTURES / "mini.bpmn")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A private database, instance folder and workflows folder (fixture forms) for each test."""
    workflows = tmp_path / "workflows"
    shutil.copytree(FIXTURES / "forms", workflows / "forms")
    return {
        "CASEPATH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "CASEPATH_INSTANCE_DIR": str(tmp_path / "instance"),
        "CASEPATH_WORKFLOWS_DIR": str(workflows),
    }


def casepath(env: dict[str, str], *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, input=stdin, catch_exceptions=False)


def test_db_upgrade_then_users_and_token(env):
    assert casepath(env, "db", "upgrade").exit_code == 0
    ok = casepath(
        env,
        "users",
        "create",
        "maria",
        "--centre",
        "kc-x",
        "--role",
        "social_worker",
        stdin="long enough pw\n",
    )
    assert ok.exit_code == 1 and "no centre with code 'kc-x'" in ok.output


def test_users_create_validates_and_token_prints_only_the_token(env, tmp_path):
    from engine.config import load_settings
    from engine.people.centres import ensure_centre
    from engine.people.permissions import SYSTEM
    from engine.services import Services

    casepath(env, "db", "upgrade")
    services = Services.from_settings(load_settings(env))
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-cli", "КЦ", "crisis_centre", 12)
        uow.commit()
    services.engine.dispose()
    short = casepath(
        env, "users", "create", "maria", "--centre", "kc-cli", "--role", "social_worker", stdin="short\n"
    )
    assert short.exit_code == 1 and "password" in short.output
    bad_role = casepath(
        env, "users", "create", "maria", "--centre", "kc-cli", "--role", "wizard", stdin="x\n"
    )
    assert bad_role.exit_code == 2
    made = casepath(
        env,
        "users",
        "create",
        "maria",
        "--centre",
        "kc-cli",
        "--role",
        "coordinator",
        stdin="long enough pw\n",
    )
    assert made.exit_code == 0, made.output
    token = casepath(env, "users", "token", "maria")
    assert (
        token.exit_code == 0
        and token.output.strip().startswith("cp_")
        and len(token.output.splitlines()) == 1
    )
    deployed = casepath(env, "pathways", "deploy", MINI, "--by", "maria")
    assert deployed.exit_code == 0 and "deployed mini version 1" in deployed.output
    assert casepath(env, "pathways", "deploy", MINI, "--by", "nobody").exit_code == 1
    assert "audit chain intact" in casepath(env, "audit", "verify").output


def test_simulate_prints_dated_steps_with_calendar_months(env):
    result = casepath(
        env,
        "pathways",
        "simulate",
        MINI,
        "--start",
        "2025-08-31T10:00:00+03:00",
        "--data",
        '{"risk": "high"}',
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(
        line.startswith("2026-01-31T10:00:00+02:00  timer") and "exit_planning_due" in line for line in lines
    )
    assert any(line.startswith("2026-02-28T10:00:00+02:00  timer") and "cap" in line for line in lines)
    assert lines[-1].split()[1] == "end"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "{not json"], "--data: not JSON"),
        (["--data", "[1]"], "must be a JSON object"),
        (["--start", "yesterday"], "--start"),
    ],
)
def test_simulate_usage_errors_exit_2(env, args, message):
    result = CliRunner().invoke(main, ["pathways", "simulate", MINI, *args], env=env)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_simulate_exits_1_on_an_incident(env, tmp_path):
    broken = tmp_path / "broken.bpmn"
    text = Path(MINI).read_text(encoding="utf-8")
    broken.write_text(
        text.replace('risk_score = 3 if risk == "high" else 1', "risk_score = 1 / 0"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["pathways", "simulate", str(broken), "--start", "2025-08-31"], env=env)
    assert result.exit_code == 1
    assert "incident  score  line 1: division by zero" in result.output


def test_timers_sweep_last_line_and_list(env):
    casepath(env, "db", "upgrade")
    swept = casepath(env, "timers", "sweep", "--now", "2030-01-01T00:00:00+02:00")
    assert swept.exit_code == 0 and swept.output.splitlines()[-1] == "fired 0 deadlines"
    listed = casepath(env, "timers", "list", "--due-before", "2030-01-01")
    assert listed.exit_code == 0 and listed.output.splitlines()[-1] == "0 pending deadlines"
    assert casepath(env, "timers", "sweep", "--now", "not-a-date").exit_code == 2


def test_console_script_is_installed_and_never_prints_a_traceback(env, tmp_path):
    script = Path(sys.executable).parent / "casepath"
    missing = subprocess.run(
        [str(script), "pathways", "check", str(tmp_path / "nope.bpmn")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr


def test_audit_anchor_publishes_the_head_and_verify_checks_it(env, tmp_path):
    from sqlalchemy import update

    from engine.config import load_settings
    from engine.people.centres import ensure_centre
    from engine.people.permissions import SYSTEM
    from engine.services import Services
    from engine.store.models import AuditEvent

    casepath(env, "db", "upgrade")
    empty = casepath(env, "audit", "anchor")
    assert empty.exit_code == 1 and "nothing to anchor" in empty.output
    services = Services.from_settings(load_settings(env))
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-cli", "КЦ", "crisis_centre", 12)
        uow.commit()
    kept = tmp_path / "elsewhere" / "anchors.txt"
    kept.parent.mkdir()
    anchored = casepath(env, "audit", "anchor", "--append", str(kept))
    assert anchored.exit_code == 0, anchored.output
    [line] = anchored.output.splitlines()
    assert line.startswith("casepath-audit-anchor ") and " seq=1 hash=" in line
    assert kept.read_text(encoding="utf-8") == line + "\n"
    verified = casepath(env, "audit", "verify", "--anchors", str(kept))
    assert verified.exit_code == 0 and "audit chain intact: 1 entries, 1 anchors" in verified.output

    with services.uow() as uow:  # rewrite the anchored row and re-seal it: only the anchor shows it
        uow.session.execute(update(AuditEvent).values(subject="forged", seq=None, prev_hash=None, hash=None))
        uow.commit()
    services.engine.dispose()
    assert "audit chain intact" in casepath(env, "audit", "verify").output
    caught = casepath(env, "audit", "verify", "--anchors", str(kept))
    assert caught.exit_code == 1 and "does not contain the published head seq=1" in caught.output

    (tmp_path / "bad.txt").write_text("seq=1 hash=zz\n", encoding="utf-8")
    bad = casepath(env, "audit", "verify", "--anchors", str(tmp_path / "bad.txt"))
    assert bad.exit_code == 1 and "line 1" in bad.output
    missing = casepath(env, "audit", "verify", "--anchors", str(tmp_path / "missing.txt"))
    assert missing.exit_code != 0 and "Traceback" not in missing.output
    unwritable = casepath(env, "audit", "anchor", "--append", str(tmp_path / "no" / "such" / "dir.txt"))
    assert unwritable.exit_code == 1 and "cannot write" in unwritable.output


def test_timers_sweep_from_cron_also_seals_the_audit_trail(env):
    from sqlalchemy import select

    from engine.config import load_settings
    from engine.people.centres import ensure_centre
    from engine.people.permissions import SYSTEM
    from engine.services import Services
    from engine.store.models import AuditEvent

    casepath(env, "db", "upgrade")
    services = Services.from_settings(load_settings(env))
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-cli", "КЦ", "crisis_centre", 12)
        uow.commit()
    assert casepath(env, "timers", "sweep").output.splitlines()[-1] == "fired 0 deadlines"
    with services.uow(writer=False) as uow:
        assert uow.session.scalars(select(AuditEvent.seq)).all() == [1]
    services.engine.dispose()

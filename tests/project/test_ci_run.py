"""``.ci/run`` stops with a message and a non-zero exit when PostgreSQL or Redis cannot be started.

The real script runs with a PATH holding a shell's basic tools but not the programs of the service
under test (nor ``make``): whatever the script tries, that service does not come up, and the suite
must not start.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import need_service

ROOT = Path(__file__).resolve().parents[2]
BASICS = ("bash", "dirname", "ls", "head", "seq", "sleep")


def run_ci(tmp_path: Path, *extra_tools: str) -> subprocess.CompletedProcess[str]:
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in (*BASICS, *extra_tools):
        found = shutil.which(tool)
        assert found, f"{tool} is needed to run this test"
        (folder / tool).symlink_to(found)
    return subprocess.run(
        [str(ROOT / ".ci" / "run")],
        env={"PATH": str(folder), "CASEPATH_CI_START_SECONDS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_stops_when_postgresql_cannot_be_started(tmp_path: Path) -> None:
    result = run_ci(tmp_path)
    assert result.returncode == 1, result
    assert "ci: PostgreSQL could not be started on 127.0.0.1:5432" in result.stderr
    assert "Redis" not in result.stdout + result.stderr


def test_stops_when_redis_cannot_be_started(tmp_path: Path) -> None:
    need_service("CASEPATH_TEST_POSTGRES_URL", "PostgreSQL")
    result = run_ci(tmp_path, "pg_isready")
    assert result.returncode == 1, result
    assert "starting PostgreSQL" not in result.stdout
    assert "ci: Redis could not be started on 127.0.0.1:6379" in result.stderr


def test_the_compose_check_fails_in_ci_without_a_compose_client(tmp_path: Path) -> None:
    """In CI a missing ``docker-compose`` is a failure, never a quiet skip."""
    test = "tests/project/test_deployment.py::test_docker_compose_config_is_valid"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env={"PATH": str(Path(sys.executable).parent), "CI": "true", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no compose client" in result.stdout

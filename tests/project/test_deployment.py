"""docker-compose.yml and the Dockerfile: the production stack as the issue and docs/operations.md say.

``docker-compose config -q`` validates the file without a Docker engine (Debian's ``docker-compose``,
which ``.ci/run`` installs; ``docker compose`` works too). Without a compose client that one test skips
locally and fails in CI. The structure is checked with a YAML parser everywhere.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]


def compose_command() -> list[str] | None:
    for command in (["docker-compose"], ["docker", "compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, timeout=30, check=False)
        if probe.returncode == 0:
            return command
    return None


def test_docker_compose_config_is_valid(tmp_path: Path):
    command = compose_command()
    if command is None:
        reason = "no compose client (`docker-compose` or `docker compose`): .ci/run installs docker-compose"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / "deploy.env.example", tmp_path / "deploy.env")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    result = subprocess.run(
        [*command, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


def test_services_images_and_commands():
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    assert SERVICES["postgres"]["image"] == "postgres:16" and SERVICES["redis"]["image"] == "redis:7"
    assert SERVICES["migrate"]["command"] == ["casepath", "db", "upgrade"]
    assert SERVICES["migrate"]["restart"] == "no"
    assert "web.wsgi:app" in SERVICES["web"]["command"] and SERVICES["web"]["command"][0] == "gunicorn"
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "tasks.celery_app", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "tasks.celery_app", "beat"]


def test_health_checks_volumes_and_order():
    for name, service in SERVICES.items():
        if name != "migrate":
            assert "healthcheck" in service, name
    for name in ("web", "worker", "beat"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert {"postgres-data", "redis-data"} <= set(COMPOSE["volumes"])


def test_settings_come_from_the_env_file_and_redis_turns_celery_on():
    for name in ("migrate", "web", "worker", "beat"):
        service = SERVICES[name]
        assert service["env_file"] == ["deploy.env"]
        assert service["environment"]["CASEPATH_REDIS_URL"].startswith("redis://redis:6379")
    example = (ROOT / "deploy.env.example").read_text(encoding="utf-8")
    for variable in ("CASEPATH_DATABASE_URL", "CASEPATH_SECRET_KEY", "POSTGRES_PASSWORD"):
        assert f"{variable}=" in example


def test_dockerfile_builds_assets_installs_and_drops_root():
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM python:3.11-slim" in text and "npm ci" in text and "npm run build" in text
    assert 'pip install ".[s3]"' in text  # the app and the S3 client for an attachment bucket
    # WeasyPrint's system libraries and a Cyrillic font for the outgoing documents (engine/casework/documents)
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core"):
        assert package in text
    users = [line.split()[1] for line in text.splitlines() if line.startswith("USER ")]
    assert users and users[-1] != "root"


def test_wsgi_module_exposes_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("CASEPATH_DATABASE_URL", f"sqlite:///{tmp_path / 'wsgi.sqlite3'}")
    monkeypatch.setenv("CASEPATH_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("CASEPATH_SECRET_KEY", "x")
    import importlib

    import web.wsgi

    module = importlib.reload(web.wsgi)
    assert module.app.name and "casepath_sweeper" not in module.app.extensions

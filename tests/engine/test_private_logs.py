"""No personal data in logs, piece by piece: SQL parameters, exception messages, warnings, access logs.

The whole browser session, grepped end to end, is ``tests/browser/test_private_logs.py``.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from engine.private_logs import PrivateFormatter, without_query
from engine.store import schema
from engine.store.models import Membership, User

NAME = "Галина Фотева"
USERNAME = "galina-f"  # a name, kept out of the source lines a traceback quotes
REPO = Path(__file__).resolve().parents[2]


def test_sql_parameters_never_reach_an_error_message(session_factory: sessionmaker[Session]):
    """A failed statement's message names no parameter (it used to end ``[parameters: (…)]``)."""
    with session_factory() as session, pytest.raises(DBAPIError) as raised:
        session.execute(insert(Membership).values(user_id=987_654, centre_id=987_654, role=NAME[:30]))
    assert "Галина" not in str(raised.value)
    assert "parameters hidden" in str(raised.value)


def test_a_logged_database_error_shows_its_type_and_frames_but_not_its_message(
    session_factory: sessionmaker[Session],
):
    """PostgreSQL quotes the duplicate key in DETAIL (``Key (username)=(…)``); the log does not."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(PrivateFormatter("%(levelname)s %(message)s"))
    log = logging.getLogger("casepath.test_private_logs")
    log.addHandler(handler)
    try:
        with session_factory() as session:
            now = datetime.now(UTC)
            session.add(User(username=USERNAME, display_name=NAME, created_at=now))
            session.flush()
            try:
                session.execute(insert(User).values(username=USERNAME, display_name=NAME, created_at=now))
            except DBAPIError:
                log.exception("could not store the user on /admin/users?q=%s", USERNAME)
    finally:
        log.removeHandler(handler)
    written = stream.getvalue()
    assert "IntegrityError (message withheld)" in written
    assert "test_private_logs.py" in written  # the frames are kept
    assert USERNAME not in written and "Галина" not in written
    assert "/admin/users?…" in written


def test_query_strings_are_cut_from_log_text():
    line = '127.0.0.1 "GET /cases?q=Галина+Ф&page=2 HTTP/1.1" 200 redirect to /login?next=/cases%3Fq%3DX'
    assert without_query(line) == '127.0.0.1 "GET /cases?… HTTP/1.1" 200 redirect to /login?…'


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60, check=False
    )


def test_warnings_and_uncaught_exceptions_are_logged_without_their_messages():
    result = run_python(
        "import threading, warnings\n"
        "from engine.private_logs import configure_logging\n"
        "configure_logging()\n"
        f"warnings.warn('value {NAME}', UserWarning)\n"
        "def fail():\n"
        f"    raise ValueError('value {NAME}')\n"
        "thread = threading.Thread(target=fail, name='worker'); thread.start(); thread.join()\n"
        f"raise KeyError('{NAME}')\n"
    )
    assert result.returncode == 1
    assert "Галина" not in result.stdout + result.stderr
    assert "UserWarning at <string>:4" in result.stderr
    assert "uncaught ValueError in thread worker" in result.stderr
    assert "KeyError (message withheld)" in result.stderr


def test_the_workflow_librarys_chatter_stays_out_of_the_log():
    result = run_python(
        "import logging\n"
        "from engine.private_logs import configure_logging\n"
        "configure_logging()\n"
        "logging.getLogger('spiff.task').info('State changed to READY')\n"
        "logging.getLogger('spiff.task').warning('a task the library warns about')\n"
        "logging.getLogger('casepath').info('fired 3 deadlines')\n"
    )
    assert result.returncode == 0
    assert "State changed" not in result.stderr
    assert "a task the library warns about" in result.stderr and "fired 3 deadlines" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dockerfile_command() -> list[str]:
    import json

    [cmd] = [line for line in (REPO / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    return list(json.loads(cmd[len("CMD ") :]))


def test_the_production_command_logs_paths_without_query_strings(tmp_path: Path):
    """gunicorn as the Dockerfile runs it: a search by name leaves only ``GET /cases`` in the log."""
    url = f"sqlite:///{tmp_path / 'casepath.sqlite3'}"
    schema.upgrade(url)
    port = free_port()
    env = {
        **os.environ,
        "CASEPATH_DATABASE_URL": url,
        "CASEPATH_SECRET_KEY": "gunicorn-log-test",
        "CASEPATH_INSTANCE_DIR": str(tmp_path),
        "CASEPATH_BIND": f"127.0.0.1:{port}",
        "CASEPATH_WEB_WORKERS": "1",
    }
    command = dockerfile_command()
    command[0] = str(Path(sys.executable).with_name(command[0]))
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base, server)
        search = urllib.parse.quote(NAME)
        for path in (f"/cases?q={search}", f"/login?next=/cases%3Fq%3D{search}"):
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(base + path, timeout=10).close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text(encoding="utf-8", errors="replace")
    assert '"GET /cases HTTP/1.1" 302' in written and '"GET /login HTTP/1.1" 200' in written
    assert "Галина" not in written and search not in written and "q=" not in written


def wait_for(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            urllib.request.urlopen(base + "/login", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)  # polling a server that is starting
    pytest.fail("gunicorn did not answer within 60 s")


def test_a_failing_celery_task_is_logged_with_its_type_but_not_its_message(tmp_path: Path):
    """Celery logs "Task … raised unexpected: ValueError('…')" and the traceback: both keep the type only."""
    code = (
        "import tasks.celery_app\n"  # connects the private-log hook to Celery's logging signals
        "from celery import Celery\n"
        "app = Celery('edge', broker='memory://', set_as_current=False)\n"
        "app.log.setup(loglevel='INFO')\n"
        "@app.task(name='edge.fail')\n"
        "def fail():\n"
        f"    raise ValueError('case of {NAME}')\n"
        "fail.apply()\n"
    )
    env = {**os.environ, "CASEPATH_SECRET_KEY": "celery-log-test", "CASEPATH_INSTANCE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
        check=False,
    )
    written = result.stdout + result.stderr
    assert "edge.fail" in written and "ValueError (message withheld)" in written
    assert "Галина" not in written


def test_compose_runs_the_dockerfiles_web_command_and_a_terse_postgres_log():
    import yaml

    services = yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    assert services["web"]["command"] == dockerfile_command()
    postgres = services["postgres"]["command"]
    assert "log_error_verbosity=terse" in postgres and "log_min_error_statement=panic" in postgres

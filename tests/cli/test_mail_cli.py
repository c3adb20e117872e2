"""``casepath mail list|retry|deliver`` on both databases: what operators see, clear errors, exit codes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result
from sqlalchemy import update

from cli.main import main
from engine.casework import deadlines
from engine.store.models import OutboxEmail
from tests.engine.notify.test_notifications import Inbox, free_port, review_overdue, with_email
from tests.tasks.conftest import database_url


@pytest.fixture
def env(db_engine, committed_world, tmp_path) -> dict[str, str]:
    return {
        "CASEPATH_DATABASE_URL": database_url(db_engine),
        "CASEPATH_INSTANCE_DIR": str(tmp_path / "instance"),
        "CASEPATH_SMTP_HOST": "",
    }


@pytest.fixture
def committed_world(make_committed_uow, fixture_forms):
    from tests.engine.conftest import build_world

    return build_world(make_committed_uow, fixture_forms)


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def casepath(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_list_deliver_and_retry(env, make_committed_uow, committed_world, fixture_forms, clock, smtp):
    inbox, port = smtp
    with_email(make_committed_uow, committed_world.staff["manager"])
    review_overdue(make_committed_uow, committed_world, fixture_forms, clock)
    deadlines.sweep(make_committed_uow)
    with make_committed_uow() as uow:  # queued just now by the real clock the command runs on
        now = datetime.now(UTC)
        uow.session.execute(update(OutboxEmail).values(created_at=now, next_attempt_at=now))
        uow.commit()
    listed = casepath(env, "mail", "list")
    assert listed.exit_code == 0 and "pending" in listed.output and "deadline.fired" in listed.output
    assert listed.output.splitlines()[-1] == "1 pending, 0 failed, 0 sent, 0 given_up"
    assert "example.bg" not in listed.output  # no addresses on an operator's screen

    no_server = casepath(env, "mail", "deliver")
    assert no_server.exit_code == 2 and "CASEPATH_SMTP_HOST" in no_server.output
    down = {**env, "CASEPATH_SMTP_HOST": "127.0.0.1", "CASEPATH_SMTP_PORT": str(free_port())}
    failed = casepath(down, "mail", "deliver")
    assert failed.exit_code == 1 and "sent 0 e-mails, 1 failed" in failed.output
    listed = casepath(env, "mail", "list", "--state", "failed")
    assert "ConnectionRefusedError" in listed.output and "attempts 1" in listed.output
    [outbox_id] = [line.split()[0] for line in listed.output.splitlines() if "failed " in line]

    retried = casepath(env, "mail", "retry", outbox_id)
    assert retried.exit_code == 0 and f"e-mail {outbox_id} is pending again" in retried.output
    up = {**env, "CASEPATH_SMTP_HOST": "127.0.0.1", "CASEPATH_SMTP_PORT": str(port)}
    sent = casepath(up, "mail", "deliver")
    assert sent.exit_code == 0 and "sent 1 e-mails, 0 failed" in sent.output and len(inbox.messages) == 1
    again = casepath(env, "mail", "retry", outbox_id)
    assert again.exit_code == 1 and "already sent" not in again.output and "has been sent" in again.output


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("mail", "retry", "99999"), 1, "not found"),
        (("mail", "retry", "abc"), 2, "is not a valid integer"),
        (("mail", "retry", "99999999999999999999"), 2, "ID"),
        (("mail", "retry", "0"), 2, "ID"),
        (("mail", "list", "--state", "lost"), 2, "'lost' is not one of"),
        (("mail", "list", "--limit", "0"), 2, "--limit"),
    ],
)
def test_bad_input_is_a_message_and_an_exit_code(env, args, code, says):
    result = casepath(env, *args)
    assert result.exit_code == code and says in result.output and "Traceback" not in result.output

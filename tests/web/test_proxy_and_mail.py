"""Behind a reverse proxy the audit records the client's address; SMTP can ask for STARTTLS and a login."""

from __future__ import annotations

import dataclasses
import smtplib
from typing import Any

import pytest
from sqlalchemy import select

from engine.notify.mail import Email, SmtpMailer
from engine.store.models import AuditEvent
from tests.web.conftest import login, make_app, username


@pytest.mark.parametrize(("proxies", "recorded"), [(0, "10.0.0.5"), (1, "203.0.113.7")])
def test_case_reads_are_audited_with_the_address_the_trusted_proxy_reports(
    services, world, proxies, recorded
):
    services.settings = dataclasses.replace(services.settings, trusted_proxies=proxies)
    client = make_app(services).test_client()
    client.environ_base.update({"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "203.0.113.7"})
    login(client, username("social_worker"))
    assert client.get(f"/cases/{world.own_case}").status_code == 200
    with services.uow() as uow:
        ip = uow.session.scalar(
            select(AuditEvent.ip).where(AuditEvent.action == "case.read").order_by(AuditEvent.id.desc())
        )
    assert ip == recorded  # with no trusted proxy, a client cannot forge its address with a header


class RecordingSMTP:
    """Stands in for the mail server (which we do not own): records what the client asked of it."""

    calls: list[tuple[str, Any]] = []

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.calls.append(("connect", (host, port)))

    def __enter__(self) -> RecordingSMTP:
        return self

    def __exit__(self, *exc: object) -> None:
        self.calls.append(("quit", None))

    def starttls(self, context: Any) -> None:
        self.calls.append(("starttls", context is not None))

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", user))

    def send_message(self, message: Any) -> None:
        self.calls.append(("send", message["To"]))


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ["connect", "send", "quit"]),
        (
            {"starttls": True, "user": "casepath", "password": "s3cret"},
            ["connect", "starttls", "login", "send", "quit"],
        ),
    ],
)
def test_smtp_mailer_uses_starttls_and_login_only_when_configured(monkeypatch, options, expected):
    RecordingSMTP.calls = []
    monkeypatch.setattr(smtplib, "SMTP", RecordingSMTP)
    SmtpMailer("mail.example", 587, "casepath@example.org", **options).send(Email("m@example.org", "s", "b"))
    assert [name for name, _ in RecordingSMTP.calls] == expected

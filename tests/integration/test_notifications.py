"""Notifications: an overdue review notifies the manager and the case lead in the app and by e-mail
(a real SMTP client against a local aiosmtpd server), with the case number and a link only."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from engine import cases, notifications, timers
from engine.errors import NotFound
from engine.notifications import EmailDispatcher, SmtpMailer
from engine.store.models import CaseTask, Deadline, Notification, User
from engine.store.uow import UnitOfWork
from tests.timer_support import ADDRESS, DISPLAY_NAME, REVIEW_OVERDUE, deploy, open_in_stay, open_task_names

BASE_URL = "https://casepath.example.bg"


class Inbox:
    """An aiosmtpd handler that keeps each message, parsed with the modern e-mail policy."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def review_overdue(make_uow, world, forms, clock):
    """A case whose monthly review is open and seven days overdue at the clock's new time."""
    deploy(make_uow, world, forms, REVIEW_OVERDUE)
    case_id, public_id = open_in_stay(make_uow, world, forms, clock)
    with make_uow() as uow:
        month = uow.session.scalar(select(Deadline.due_at).where(Deadline.element_id == "wait_month"))
    clock.set(month)
    timers.sweep(make_uow, forms)
    with make_uow() as uow:
        overdue = uow.session.scalar(
            select(Deadline).where(Deadline.element_id == "review_overdue", Deadline.status == "pending")
        )
        assert overdue.due_at == month + timedelta(days=7)
        overdue_id, due_at = overdue.id, overdue.due_at
    clock.set(due_at)
    return case_id, public_id, overdue_id


def with_email(make_uow, *principals):
    with make_uow() as uow:
        for who in principals:
            uow.session.execute(
                update(User).where(User.id == who.user_id).values(email=f"{who.name}@example.bg")
            )
        uow.commit()


def test_overdue_review_escalates_and_notifies_manager_and_case_lead(make_uow, world, fixture_forms, clock):
    case_id, public_id, _ = review_overdue(make_uow, world, fixture_forms, clock)
    assert timers.sweep(make_uow, fixture_forms) == 1
    manager, lead, worker = world.staff["manager"], world.staff["case_lead"], world.staff["social_worker"]
    with make_uow() as uow:
        assert open_task_names(uow, case_id) == ["Plan review", "Review escalation"]
        escalation = uow.session.scalar(select(CaseTask).where(CaseTask.name == "Review escalation"))
        assert escalation.role == "case_lead"
        number = cases.get_case(uow, manager, public_id).number
        assert notifications.unread_count(uow, manager.user_id) == 1
        assert notifications.unread_count(uow, lead.user_id) == 1
        assert notifications.unread_count(uow, worker.user_id) == 0
        [item] = notifications.list_for(uow, manager.user_id).items
    assert item.kind == "deadline.fired" and not item.read
    assert number in item.text and "Review overdue" in item.text
    assert item.link == f"/cases/{public_id}"
    assert DISPLAY_NAME not in item.text and "Мария" not in item.text and ADDRESS not in item.text


def test_list_pages_and_mark_read_only_own(make_uow, world, fixture_forms, clock):
    review_overdue(make_uow, world, fixture_forms, clock)
    timers.sweep(make_uow, fixture_forms)
    manager, lead = world.staff["manager"], world.staff["case_lead"]
    with make_uow() as uow:
        [item] = notifications.list_for(uow, manager.user_id).items
        with pytest.raises(NotFound):
            notifications.mark_read(uow, lead, item.id)  # someone else's notification does not exist
        notifications.mark_read(uow, manager, item.id)
        notifications.mark_read(uow, manager, item.id)  # twice is fine
        uow.commit()
    with make_uow() as uow:
        assert notifications.unread_count(uow, manager.user_id) == 0
        assert notifications.list_for(uow, manager.user_id).items[0].read
        for i in range(25):
            uow.session.add(
                Notification(user_id=lead.user_id, kind="test", text=f"n{i}", link="", created_at=clock.now())
            )
        uow.session.flush()
        first, second = (
            notifications.list_for(uow, lead.user_id, 1),
            notifications.list_for(uow, lead.user_id, 2),
        )
        assert (len(first.items), first.has_next, len(second.items), second.has_next) == (20, True, 6, False)
        assert first.total == 26
        assert notifications.mark_all_read(uow, lead) == 26
        assert notifications.unread_count(uow, lead.user_id) == 0


def test_email_goes_out_after_commit_with_number_and_link_only(
    make_uow, session_factory, world, fixture_forms, clock, smtp
):
    inbox, port = smtp
    manager, lead = world.staff["manager"], world.staff["case_lead"]
    with_email(make_uow, manager)  # the case lead has no address: in-app only
    _, public_id, overdue_id = review_overdue(make_uow, world, fixture_forms, clock)
    dispatcher = EmailDispatcher(
        lambda: UnitOfWork(session_factory, clock),
        SmtpMailer("127.0.0.1", port, "casepath@example.bg"),
        BASE_URL,
    )

    def make_mailing_uow():
        return UnitOfWork(session_factory, clock, dispatcher)

    with make_mailing_uow() as uow:  # rolled back: nothing announced
        timers.fire_deadline(uow, overdue_id, fixture_forms)
    assert inbox.messages == []
    with make_mailing_uow() as uow:
        timers.fire_deadline(uow, overdue_id, fixture_forms)
        assert inbox.messages == []  # not before the commit
        uow.commit()
    [message] = inbox.messages
    body = message.get_content()
    assert message["To"] == f"{manager.name}@example.bg"
    assert f"{BASE_URL}/cases/{public_id}" in body
    with make_uow() as uow:
        number = cases.get_case(uow, manager, public_id).number
        rows = {n.user_id: n for n in uow.session.scalars(select(Notification))}
        assert rows[manager.user_id].emailed_at == clock.now() and rows[lead.user_id].emailed_at is None
    assert number in message["Subject"] and number in body
    for secret in (DISPLAY_NAME, "Мария", ADDRESS, "КЦ Тест"):
        assert secret not in body and secret not in message["Subject"]


def test_mail_server_down_keeps_the_change_and_the_in_app_row(
    make_uow, session_factory, world, fixture_forms, clock
):
    manager = world.staff["manager"]
    with_email(make_uow, manager)
    case_id, _, overdue_id = review_overdue(make_uow, world, fixture_forms, clock)
    dispatcher = EmailDispatcher(
        lambda: UnitOfWork(session_factory, clock),
        SmtpMailer("127.0.0.1", free_port(), "x@example.bg", 2),
        BASE_URL,
    )
    with UnitOfWork(session_factory, clock, dispatcher) as uow:
        assert timers.fire_deadline(uow, overdue_id, fixture_forms).outcome == "fired"
        uow.commit()  # the refused connection is logged, never raised
    with make_uow() as uow:
        row = uow.session.scalar(select(Notification).where(Notification.user_id == manager.user_id))
        assert row.emailed_at is None
        assert "Review escalation" in open_task_names(uow, case_id)


def test_unknown_roles_in_notify_are_ignored():
    assert notifications.parse_roles("manager, case_lead,, nobody ,Управител") == ["case_lead", "manager"]
    assert notifications.parse_roles("") == []


def test_services_send_mail_only_when_smtp_is_configured(tmp_path):
    from engine.config import Settings
    from engine.services import Services

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    plain = Services.from_settings(Settings(database_url=url, secret_key="x"))
    mailing = Services.from_settings(Settings(database_url=url, secret_key="x", smtp_host="127.0.0.1"))
    assert not isinstance(plain.dispatch, EmailDispatcher) and isinstance(mailing.dispatch, EmailDispatcher)
    plain.engine.dispose()
    mailing.engine.dispose()

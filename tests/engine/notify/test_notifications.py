"""Notifications: an overdue review notifies the manager and the case lead in the app and by e-mail
(a real SMTP client against a local aiosmtpd server), with the case number and a link only. E-mails
are outbox rows of the notifying transaction, delivered afterwards, retried with backoff, sent once."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from engine.bpmn.properties import split_list
from engine.casework import cases, deadlines
from engine.errors import NotFound, ValidationFailed
from engine.notify import mail, notifications, outbox
from engine.notify.mail import SmtpMailer
from engine.people import roles
from engine.store.models import CaseTask, Deadline, Notification, OutboxEmail, User
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


def review_overdue(make_uow, world, forms, clock, variant=REVIEW_OVERDUE):
    """A case whose monthly review is open and seven days overdue at the clock's new time."""
    deploy(make_uow, world, forms, variant)
    case_id, public_id = open_in_stay(make_uow, world, forms, clock)
    with make_uow() as uow:
        month = uow.session.scalar(select(Deadline.due_at).where(Deadline.element_id == "wait_month"))
    clock.set(month)
    deadlines.sweep(make_uow)
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
    assert deadlines.sweep(make_uow) == 1
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
    assert item.params == {"number": number, "name": "Review overdue", "name_en": "Review overdue"}
    assert item.link == f"/cases/{public_id}"
    said = str(item.params)
    assert DISPLAY_NAME not in said and "Мария" not in said and ADDRESS not in said


def test_list_pages_and_mark_read_only_own(make_uow, world, fixture_forms, clock):
    review_overdue(make_uow, world, fixture_forms, clock)
    deadlines.sweep(make_uow)
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


def outbox_rows(make_uow) -> list[OutboxEmail]:
    with make_uow() as uow:
        rows = list(uow.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
        uow.session.expunge_all()  # kept as read, not expired by the rollback that ends the unit of work
        return rows


def deliver(make_uow, port: int):
    return outbox.deliver_due(make_uow, SmtpMailer("127.0.0.1", port, "casepath@example.bg", 2), BASE_URL)


def test_email_is_a_row_of_the_transaction_and_goes_out_after_commit(
    make_uow, world, fixture_forms, clock, smtp
):
    inbox, port = smtp
    manager, lead = world.staff["manager"], world.staff["case_lead"]
    with_email(make_uow, manager)  # the case lead has no address: in-app only
    _, public_id, overdue_id = review_overdue(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:  # rolled back: nothing queued
        deadlines.fire_deadline(uow, overdue_id)
        assert [type(event).__name__ for event in uow.events] == ["EmailsQueued"]
    assert outbox_rows(make_uow) == []
    with make_uow() as uow:
        deadlines.fire_deadline(uow, overdue_id)
        uow.commit()
    [row] = outbox_rows(make_uow)
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, clock.now())
    assert inbox.messages == []  # the committing thread sends nothing
    assert deliver(make_uow, port) == outbox.DeliveryRun(sent=1)
    [message] = inbox.messages
    body = message.get_content()
    assert message["To"] == f"{manager.name}@example.bg"
    assert f"{BASE_URL}/cases/{public_id}" in body
    with make_uow() as uow:
        number = cases.get_case(uow, manager, public_id).number
        rows = {n.user_id: n for n in uow.session.scalars(select(Notification))}
        assert rows[manager.user_id].emailed_at == clock.now() and rows[lead.user_id].emailed_at is None
        assert outbox.counts(uow) == {"pending": 0, "failed": 0, "sent": 1, "given_up": 0}
    assert message["Subject"] == f"Casepath: случай {number}: изтекъл срок" and number in body
    for secret in (DISPLAY_NAME, "Мария", ADDRESS, "КЦ Тест"):
        assert secret not in body and secret not in message["Subject"]
    assert deliver(make_uow, port) == outbox.DeliveryRun()  # delivered once, never again
    assert len(inbox.messages) == 1


NEWLINE_IN_NAME = {
    before: after.replace('name="Review overdue"', 'name="Review&#10;overdue"').replace(
        'value="Review overdue"', 'value="Review&#13;&#10;overdue"'
    )
    for before, after in REVIEW_OVERDUE.items()
}


def test_a_timer_name_with_a_newline_never_reaches_the_email(make_uow, world, fixture_forms, clock, smtp):
    inbox, port = smtp
    manager = world.staff["manager"]
    with_email(make_uow, manager)
    _, _, overdue_id = review_overdue(make_uow, world, fixture_forms, clock, NEWLINE_IN_NAME)
    with make_uow() as uow:
        assert "\n" in uow.session.get(Deadline, overdue_id).kind
    deadlines.sweep(make_uow)
    assert deliver(make_uow, port) == outbox.DeliveryRun(sent=1)
    [message] = inbox.messages
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    body = message.get_content().replace("\r\n", "\n")
    assert "Review" not in body and "overdue" not in body  # the diagram's text stays in the application
    assert message["Subject"] in body


def test_a_failed_email_is_retried_with_backoff_and_then_delivered(make_uow, world, fixture_forms, clock):
    manager = world.staff["manager"]
    with_email(make_uow, manager)
    review_overdue(make_uow, world, fixture_forms, clock)
    deadlines.sweep(make_uow)
    port = free_port()  # nothing listens there yet: the mail server is down
    assert deliver(make_uow, port) == outbox.DeliveryRun(failed=1)
    [row] = outbox_rows(make_uow)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "ConnectionRefusedError")
    assert row.next_attempt_at == clock.now() + timedelta(minutes=1)
    clock.advance(timedelta(seconds=59))
    assert deliver(make_uow, port) == outbox.DeliveryRun()  # not before its next attempt
    clock.advance(timedelta(seconds=1))
    assert deliver(make_uow, port) == outbox.DeliveryRun(failed=1)
    [row] = outbox_rows(make_uow)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now() + timedelta(minutes=2))
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()  # the server is back
    try:
        clock.advance(timedelta(minutes=2))
        assert deliver(make_uow, port) == outbox.DeliveryRun(sent=1)
    finally:
        controller.stop()
    [row] = outbox_rows(make_uow)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 3, clock.now(), "")
    assert len(inbox.messages) == 1


class Refusing(Inbox):
    """A mail server that answers every message with a permanent SMTP error."""

    async def handle_DATA(self, server, session, envelope) -> str:
        return "554 5.7.1 Rejected for manager@example.bg"


def test_gives_up_after_the_last_attempt_and_an_operator_retries(make_uow, world, fixture_forms, clock, smtp):
    inbox, port = smtp
    with_email(make_uow, world.staff["manager"])
    review_overdue(make_uow, world, fixture_forms, clock)
    deadlines.sweep(make_uow)
    bad_port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=bad_port)
    controller.start()
    try:
        for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
            assert deliver(make_uow, bad_port) == outbox.DeliveryRun(failed=1)
            [row] = outbox_rows(make_uow)
            assert row.attempts == attempt
            clock.advance(outbox.retry_delay(attempt))
    finally:
        controller.stop()
    assert (row.status, row.last_error) == ("given_up", "smtp_554")  # the code, not the reply's address
    assert deliver(make_uow, port) == outbox.DeliveryRun()  # given up: not tried again by itself
    with make_uow() as uow:
        assert [v.id for v in outbox.list_mail(uow, "given_up")] == [row.id]
        assert outbox.retry(uow, row.id).status == "pending"
        uow.commit()
    assert deliver(make_uow, port) == outbox.DeliveryRun(sent=1) and len(inbox.messages) == 1
    with make_uow() as uow:
        with pytest.raises(ValidationFailed):
            outbox.retry(uow, row.id)  # sent stays sent
        with pytest.raises(NotFound):
            outbox.retry(uow, 2**40)
        with pytest.raises(ValidationFailed):
            outbox.list_mail(uow, "lost")


def test_an_address_removed_before_sending_is_given_up(make_uow, world, fixture_forms, clock, smtp):
    inbox, port = smtp
    manager = world.staff["manager"]
    with_email(make_uow, manager)
    review_overdue(make_uow, world, fixture_forms, clock)
    deadlines.sweep(make_uow)
    with make_uow() as uow:
        uow.session.execute(update(User).where(User.id == manager.user_id).values(email=""))
        uow.commit()
    assert deliver(make_uow, port) == outbox.DeliveryRun(failed=1)
    [row] = outbox_rows(make_uow)
    assert (row.status, row.last_error) == ("given_up", "no_address") and inbox.messages == []


def test_a_claimed_email_is_sent_once_by_racing_deliverers(
    make_committed_uow, committed_world, fixture_forms, clock, smtp
):
    inbox, port = smtp
    with_email(make_committed_uow, committed_world.staff["manager"])
    review_overdue(make_committed_uow, committed_world, fixture_forms, clock)
    deadlines.sweep(make_committed_uow)
    [row] = outbox_rows(make_committed_uow)
    mailer = SmtpMailer("127.0.0.1", port, "casepath@example.bg", 5)
    start, outcomes = threading.Barrier(4), []

    def deliverer() -> None:
        start.wait()
        outcomes.append(outbox.deliver_one(make_committed_uow, mailer, BASE_URL, row.id))

    threads = [threading.Thread(target=deliverer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["sent", "skipped", "skipped", "skipped"] and len(inbox.messages) == 1


def test_a_lease_left_by_a_dead_deliverer_expires(make_uow, world, fixture_forms, clock, smtp):
    inbox, port = smtp
    with_email(make_uow, world.staff["manager"])
    review_overdue(make_uow, world, fixture_forms, clock)
    deadlines.sweep(make_uow)
    [row] = outbox_rows(make_uow)
    with make_uow() as uow:
        assert outbox.claim(uow, row.id)  # a deliverer that claimed it and died before sending
        uow.commit()
    assert deliver(make_uow, port) == outbox.DeliveryRun()
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    assert deliver(make_uow, port) == outbox.DeliveryRun(sent=1) and len(inbox.messages) == 1


def test_unknown_roles_in_notify_are_ignored():
    assert roles.resolve_roles(split_list("manager, case_lead,, nobody ,Управител")) == [
        "case_lead",
        "manager",
    ]
    assert roles.resolve_roles(split_list("")) == []


def test_services_send_mail_only_when_smtp_is_configured(tmp_path):
    from engine.config import Settings
    from engine.services import Services

    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    plain = Services.from_settings(Settings(database_url=url, secret_key="x"))
    mailing = Services.from_settings(Settings(database_url=url, secret_key="x", smtp_host="127.0.0.1"))
    assert plain.mailer is None and isinstance(mailing.mailer, SmtpMailer)
    plain.engine.dispose()
    mailing.engine.dispose()


def test_a_newline_in_a_header_value_never_stops_the_mail(smtp):
    inbox, port = smtp
    subject = "Casepath: Случай КЦ-2025-0001: изтече срокът „Преглед\r\nBcc: x@evil.example“"
    SmtpMailer("127.0.0.1", port, "casepath@example.bg").send(
        mail.Email("manager@example.bg", subject, "body\nwith lines\n")
    )
    [message] = inbox.messages
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["Subject"].startswith("Casepath: Случай КЦ-2025-0001") and message["Bcc"] is None


def test_an_email_too_old_to_matter_is_given_up(make_uow, world, fixture_forms, clock, smtp):
    inbox, port = smtp
    with_email(make_uow, world.staff["manager"])
    review_overdue(make_uow, world, fixture_forms, clock)
    deadlines.sweep(make_uow)  # queued while no mail server was configured
    clock.advance(outbox.MAX_AGE + timedelta(seconds=1))
    assert deliver(make_uow, port) == outbox.DeliveryRun(failed=1)
    [row] = outbox_rows(make_uow)
    assert (row.status, row.last_error) == ("given_up", "expired") and inbox.messages == []
    with make_uow() as uow, pytest.raises(ValidationFailed, match="too old"):
        outbox.retry(uow, row.id)


def test_an_e_mail_subject_is_in_the_user_s_language_from_the_catalogue() -> None:
    from engine.notify.messages import TASK_OVERDUE
    from engine.notify.outbox import subject_for

    assert (
        subject_for(TASK_OVERDUE, "KC-2026-0001", "bg")
        == "Casepath: случай KC-2026-0001: ваша задача е просрочена"
    )
    assert (
        subject_for(TASK_OVERDUE, "KC-2026-0001", "en") == "Casepath: case KC-2026-0001: your task is overdue"
    )
    assert subject_for("unknown", "KC-2026-0001", "fr") == "Casepath: случай KC-2026-0001"

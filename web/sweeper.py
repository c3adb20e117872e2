"""The embedded sweeper: without Redis, the web process fires due deadlines and sends the outbox itself.

A daemon thread calls the same engine services as ``casepath timers sweep`` and ``casepath mail
deliver``, seals the audit rows committed since (``engine.audit.chain.seal``), once a day keeps each
centre's occupancy (``engine.reports.occupancy``; Celery beat's ``record_occupancy`` otherwise), then
sleeps until the next pending deadline falls due, at most ``sweep_interval_seconds``.

It wakes early after a commit in this process that queued e-mails (so mail goes out within moments,
never in the thread of the request that committed) or created a deadline due before its planned
wake-up (the unit of work hands it a :class:`~engine.casework.projection.DeadlineScheduled`); a deadline
created by
another process is found by the next regular sweep. It runs only when ``settings.run_sweeper`` is on
(``casepath serve`` turns it on) and no Redis is configured (then Celery beat and workers do the
work). A lock keeps two sweeps from overlapping; an error is logged and the next tick tries again;
:meth:`Sweeper.stop` ends it. Several web processes may each run one: firing is idempotent under the
case lock, and an e-mail is claimed by one of them at a time.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask

from engine.audit import chain
from engine.casework import deadlines
from engine.casework.projection import DeadlineScheduled
from engine.clock import local_date
from engine.config import Settings
from engine.notify import outbox
from engine.notify.notifications import EmailsQueued
from engine.reports import occupancy
from engine.services import Services
from engine.store.uow import Dispatcher, UnitOfWork, in_transaction

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, services: Services, interval: float) -> None:
        self.services = services
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._wakes_at: datetime | None = None  # None while sweeping: any new deadline wakes it
        self._running = threading.Lock()
        self._occupancy_day: date | None = None
        self._thread = threading.Thread(target=self._loop, name="casepath-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to end and wait for a sweep in progress to finish."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def wakes_at(self) -> datetime | None:
        """When the sleeping loop wakes for its next sweep (None while it sweeps)."""
        return self._wakes_at

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def sweep_once(self) -> int | None:
        """One sweep, unless one is already running (then None)."""
        if not self._running.acquire(blocking=False):
            return None
        try:
            fired = deadlines.sweep(self.services.uow, runner="embedded")
            self._seal_audit()
            self._record_occupancy()
            return fired
        finally:
            self._running.release()

    def deliver_mail_once(self) -> outbox.DeliveryRun | None:
        """Send the e-mails due now (None without SMTP settings)."""
        services = self.services
        if services.mailer is None:
            return None
        return outbox.deliver_due(services.uow, services.mailer, services.settings.base_url)

    def _seal_audit(self) -> None:
        """Chain the audit rows committed since the last tick (Celery beat does it when Redis is used)."""
        in_transaction(self.services.uow, lambda uow: chain.seal(uow.session))

    def _record_occupancy(self) -> None:
        """Once a day (and at start): yesterday's and today's occupancy rows, as Celery beat's daily task."""
        today = local_date(self.services.clock.now())
        if self._occupancy_day == today:
            return

        def record(uow: UnitOfWork) -> int:
            return occupancy.record_days(uow, today - timedelta(days=1), today)

        in_transaction(self.services.uow, record)
        self._occupancy_day = today

    def notice(self, events: Iterable[Any]) -> None:
        """After a commit: wake now for queued e-mails, or a new deadline due before the planned wake-up."""
        wakes_at = self._wakes_at
        for event in events:
            if isinstance(event, EmailsQueued) and self.services.mailer is not None:
                self._wake.set()
                return
            if isinstance(event, DeadlineScheduled) and (wakes_at is None or event.due_at < wakes_at):
                self._wake.set()
                return

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._wakes_at = None
            started = self.services.clock.now()
            delay = self.interval
            try:
                fired = self.sweep_once()
                if fired:
                    log.info("fired %s deadlines", fired)
                delay = self._until_next_due(started)
            except Exception:
                log.exception("deadline sweep failed; trying again in %s s", self.interval)
            try:
                self.deliver_mail_once()
            except Exception:
                log.exception("mail delivery failed; trying again in %s s", self.interval)
            if self._stop.is_set():  # stop() may have come, and its wake-up been cleared, mid-sweep
                break
            self._wake.wait(delay)

    def _until_next_due(self, started: datetime) -> float:
        """Seconds until the next deadline due after ``started`` (0 if already due), at most the interval."""
        with self.services.uow(writer=False) as uow:
            now, due = uow.clock.now(), deadlines.next_due_at(uow, started)
        delay = self.interval if due is None else (due - now).total_seconds()
        delay = min(self.interval, max(0.0, delay))
        self._wakes_at = now + timedelta(seconds=delay)
        return delay


def start_sweeper(app: Flask, settings: Settings | None = None) -> Sweeper | None:
    """Start the embedded sweeper for ``app`` when its settings ask for it and Redis is not configured."""
    services: Services = app.extensions["casepath"]
    settings = settings or services.settings
    if not settings.run_sweeper or settings.redis_url:
        return None
    sweeper = Sweeper(services, float(settings.sweep_interval_seconds))
    services.dispatch = _and_notice(services.dispatch, sweeper)
    app.extensions["casepath_sweeper"] = sweeper
    sweeper.start()
    atexit.register(sweeper.stop, 5.0)
    return sweeper


def _and_notice(dispatch: Dispatcher, sweeper: Sweeper) -> Dispatcher:
    """The services' after-commit dispatcher, which also tells the sweeper about new deadlines and mail."""

    def both(events: Iterable[Any]) -> None:
        events = list(events)
        sweeper.notice(events)
        dispatch(events)

    return both

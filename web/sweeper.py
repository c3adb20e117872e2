"""The embedded sweeper: without Redis, the web process fires due deadlines and sends the outbox itself.

A daemon thread calls the same engine services as ``casepath timers sweep`` and ``casepath mail
deliver`` every ``sweep_interval_seconds``, then seals the audit rows committed since
(``engine.audit.seal``); a commit that queued e-mails wakes it at once, so mail goes out within
moments but never in the thread of the request that committed. It runs only when
``settings.run_sweeper`` is on (``casepath serve`` turns it on) and no Redis is configured (then
Celery beat and workers do the work). A lock keeps two sweeps from overlapping; an error is logged
and the next tick tries again; :meth:`Sweeper.stop` ends it. Several web processes may each run one:
firing is idempotent under the case lock, and an e-mail is claimed by one of them at a time.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable
from typing import Any

from flask import Flask

from engine import audit, outbox, timers
from engine.config import Settings
from engine.notifications import EmailsQueued
from engine.services import Services
from engine.store.uow import in_transaction

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, services: Services, interval: float) -> None:
        self.services = services
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._running = threading.Lock()
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
    def alive(self) -> bool:
        return self._thread.is_alive()

    def sweep_once(self) -> int | None:
        """One sweep, unless one is already running (then None)."""
        if not self._running.acquire(blocking=False):
            return None
        try:
            fired = timers.sweep(self.services.uow, self.services.forms, runner="embedded")
            self._seal_audit()
            return fired
        finally:
            self._running.release()

    def deliver_mail_once(self) -> outbox.DeliveryRun | None:
        """Send the e-mails due now (None without SMTP settings)."""
        services = self.services
        if services.mailer is None:
            return None
        return outbox.deliver_due(services.uow, services.mailer, services.settings.base_url)

    def wake_on_queued_mail(self, forward: Any) -> Any:
        """An after-commit dispatcher: wakes the loop when e-mails were queued, then forwards."""

        def dispatch(events: Iterable[Any]) -> None:
            events = list(events)
            if any(isinstance(event, EmailsQueued) for event in events):
                self._wake.set()
            forward(events)

        return dispatch

    def _seal_audit(self) -> None:
        """Chain the audit rows committed since the last tick (Celery beat does it when Redis is used)."""
        in_transaction(self.services.uow, lambda uow: audit.seal(uow.session))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                fired = self.sweep_once()
                if fired:
                    log.info("fired %s deadlines", fired)
            except Exception:
                log.exception("deadline sweep failed; trying again in %s s", self.interval)
            try:
                self.deliver_mail_once()
            except Exception:
                log.exception("mail delivery failed; trying again in %s s", self.interval)
            self._wake.wait(self.interval)


def start_sweeper(app: Flask, settings: Settings | None = None) -> Sweeper | None:
    """Start the embedded sweeper for ``app`` when its settings ask for it and Redis is not configured."""
    services: Services = app.extensions["casepath"]
    settings = settings or services.settings
    if not settings.run_sweeper or settings.redis_url:
        return None
    sweeper = Sweeper(services, float(settings.sweep_interval_seconds))
    app.extensions["casepath_sweeper"] = sweeper
    services.dispatch = sweeper.wake_on_queued_mail(services.dispatch)
    sweeper.start()
    atexit.register(sweeper.stop, 5.0)
    return sweeper

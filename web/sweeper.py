"""The embedded sweeper: without Redis, the web process fires due deadlines itself.

A daemon thread calls the same engine service as ``casepath timers sweep``, then sleeps until the next
pending deadline falls due, at most ``sweep_interval_seconds``. A deadline created in this process
after it went to sleep, due before it would wake, wakes it at once (the unit of work hands it a
:class:`~engine.sync.DeadlineScheduled` after commit); one created by another process is found by the
next regular sweep. It runs only when ``settings.run_sweeper`` is on (``casepath serve`` turns it on)
and no Redis is configured (then Celery beat and workers do the work). A lock keeps two sweeps from
overlapping; an error is logged and the next tick tries again; :meth:`Sweeper.stop` ends it.
Several web processes may each run one: firing is idempotent under the case lock.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask

from engine import timers
from engine.config import Settings
from engine.services import Services
from engine.store.uow import Dispatcher
from engine.sync import DeadlineScheduled

log = logging.getLogger(__name__)


class Sweeper:
    def __init__(self, services: Services, interval: float) -> None:
        self.services = services
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._wakes_at: datetime | None = None  # None while sweeping: any new deadline wakes it
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
            return timers.sweep(self.services.uow, self.services.forms, runner="embedded")
        finally:
            self._running.release()

    def notice(self, events: Iterable[Any]) -> None:
        """After a commit: wake now if a new deadline falls due before the planned wake-up."""
        wakes_at = self._wakes_at
        for event in events:
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
            if self._stop.is_set():  # stop() may have come, and its wake-up been cleared, mid-sweep
                break
            self._wake.wait(delay)

    def _until_next_due(self, started: datetime) -> float:
        """Seconds until the next deadline due after ``started`` (0 if already due), at most the interval."""
        with self.services.uow() as uow:
            now, due = uow.clock.now(), timers.next_due_at(uow, started)
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
    """The services' after-commit dispatcher, which also tells the sweeper about new deadlines."""

    def both(events: Iterable[Any]) -> None:
        events = list(events)
        sweeper.notice(events)
        dispatch(events)

    return both

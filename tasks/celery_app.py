"""The Celery app: ``make_celery(settings)`` and ``app`` for ``celery -A tasks.celery_app worker|beat``.

Delivery is at-least-once and firing is idempotent, which together give exactly-once effects:

* ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only after its task
  ran, and a worker child that dies mid-task puts it back on the queue;
* ``worker_prefetch_multiplier = 1``: a worker holds one message per process, so a killed worker
  strands almost nothing (and what it strands is found again by the next beat dispatch, because
  the deadline row is still pending);
* the engine re-checks each deadline under the case lock, so a duplicate is a no-op.

Without ``CASEPATH_REDIS_URL`` the app still imports (in-memory broker) but nothing should run it:
the web process sweeps deadlines itself (``web/sweeper.py``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from celery import Celery, Task, signals
from celery.schedules import crontab

from engine.config import Settings, load_settings
from engine.services import Services
from engine.store.uow import Dispatcher, UnitOfWork

T = TypeVar("T")
DISPATCH_DUE_DEADLINES = "casepath.dispatch_due_deadlines"
FIRE_DEADLINE = "casepath.fire_deadline"
DISPATCH_DUE_MAIL = "casepath.dispatch_due_mail"
DELIVER_MAIL = "casepath.deliver_mail"
SEAL_AUDIT = "casepath.seal_audit"
SEND_REMINDERS = "casepath.send_reminders"
RECORD_OCCUPANCY = "casepath.record_occupancy"
PSEUDONYMISE_CLOSED_CASES = "casepath.pseudonymise_closed_cases"
QUEUE = "casepath"


class CasepathContext:
    """Settings and, built on first use inside the worker process (after any fork), the services."""

    def __init__(
        self, settings: Settings, services: Services | None = None, dispatch: Dispatcher | None = None
    ) -> None:
        self.settings = settings
        self._services = services
        self._dispatch = dispatch  # for services built here: what happens after each commit
        self._lock = threading.Lock()

    @property
    def services(self) -> Services:
        with self._lock:
            if self._services is None:
                self._services = self._build_services()
            return self._services

    def _build_services(self) -> Services:
        if self._dispatch is None:
            return Services.from_settings(self.settings)
        return Services.from_settings(self.settings, dispatch=self._dispatch)


# Celery ships no type hints, so its Task is `Any` to mypy, and subclassing `Any` is an error in strict mode.
class EngineTask(Task):  # type: ignore[misc]
    """Base of every Casepath task: one unit of work per run, committed here and nowhere else."""

    @property
    def casepath(self) -> CasepathContext:
        context: CasepathContext = self.app.casepath  # set by make_celery
        return context

    @property
    def services(self) -> Services:
        return self.casepath.services

    def in_unit_of_work(self, work: Callable[[UnitOfWork], T]) -> T:
        with self.services.uow() as uow:
            result = work(uow)
            uow.commit()
        return result


def make_celery(settings: Settings, services: Services | None = None) -> Celery:
    """A Celery app for ``settings``; pass ``services`` to share a clock or an engine (tests, benches)."""
    from tasks import audit, deadlines, mail, occupancy, reminders, retention

    app = Celery("casepath", broker=settings.redis_url or "memory://", set_as_current=False)
    # A worker's commit that queued e-mails enqueues their delivery at once (beat would find them too).
    app.casepath = CasepathContext(settings, services, mail.deliver_after_commit(app))
    app.conf.update(_config(settings))
    deadlines.register(app)
    mail.register(app)
    audit.register(app)
    reminders.register(app)
    occupancy.register(app)
    retention.register(app)
    return app


def _private_logs(logger: Any, **_: Any) -> None:
    """Worker and beat log like the web: no exception messages, no query strings, no warning texts."""
    from engine.private_logs import WithheldTaskError, configure_logging, make_private

    make_private(logger.handlers)
    configure_logging()
    trace = logging.getLogger("celery.app.trace")
    if not any(isinstance(f, WithheldTaskError) for f in trace.filters):
        trace.addFilter(WithheldTaskError())


signals.after_setup_logger.connect(_private_logs, weak=False)
signals.after_setup_task_logger.connect(_private_logs, weak=False)


def _config(settings: Settings) -> dict[str, Any]:
    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,
        "result_backend": None,
        "task_default_queue": QUEUE,
        "broker_connection_retry_on_startup": True,
        # Longer than any retry countdown, so Redis never hands out a message that is still running.
        "broker_transport_options": {"visibility_timeout": 3600},
        "enable_utc": True,
        "timezone": "UTC",
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "beat_schedule": {
            "dispatch-due-deadlines": {
                "task": DISPATCH_DUE_DEADLINES,
                "schedule": float(settings.sweep_interval_seconds),
            },
            "dispatch-due-mail": {
                "task": DISPATCH_DUE_MAIL,
                "schedule": float(settings.sweep_interval_seconds),
            },
            # Audit rows are chained by this one sealer shortly after they commit (engine/audit/chain.py).
            "seal-audit": {"task": SEAL_AUDIT, "schedule": float(settings.sweep_interval_seconds)},
            # Holders hear of tasks due tomorrow, overdue, or at their follow-up date.
            "send-reminders": {"task": SEND_REMINDERS, "schedule": float(settings.sweep_interval_seconds)},
            # Daily, just after midnight in Sofia (22:05 UTC in summer, 23:05 in winter is 01:05 local):
            # yesterday's occupancy is then final. The dashboard shows today's residents live.
            "record-occupancy": {"task": RECORD_OCCUPANCY, "schedule": crontab(hour=22, minute=5)},
            # Daily, in the night: closed cases past CASEPATH_RETENTION_YEARS are pseudonymised.
            "pseudonymise-closed-cases": {
                "task": PSEUDONYMISE_CLOSED_CASES,
                "schedule": crontab(hour=23, minute=35),
            },
        },
    }


app = make_celery(load_settings())

"""``/healthz``: database, broker, the age of the last deadline sweep and the e-mail outbox, as JSON.

200 when the database answers, the broker answers (or none is configured: the embedded sweeper runs
in the web process) and a sweep ran recently; 503 otherwise. A process that has never seen a sweep
is given a grace period from its start before that counts against it. ``mail`` counts the outbox's
e-mails per state (pending, failed, sent, given_up) for the operators; it does not change the status:
a mail server that is down delays e-mails, the in-app notifications are there either way.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import text

from engine.casework import deadlines
from engine.notify import outbox
from engine.services import Services

bp = Blueprint("health", __name__)
STARTED = "casepath_started"  # app.extensions key: when this app was created (monotonic seconds)
bp.record_once(lambda state: state.app.extensions.setdefault(STARTED, time.monotonic()))


def stale_after(interval_seconds: int) -> float:
    """A sweep older than this means deadlines are not firing: three missed beats, at least 90 s."""
    return float(max(3 * interval_seconds, 90))


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    services: Services = current_app.extensions["casepath"]
    report: dict[str, Any] = {"database": _database(services), "broker": _broker(services)}
    report.update(_sweep(services) if report["database"] == "ok" else {"last_sweep_age_seconds": None})
    report["mail"] = _mail(services) if report["database"] == "ok" else None
    healthy = (
        report["database"] == "ok"
        and report["broker"] in {"ok", "embedded"}
        and report.pop("sweep_ok", False)
    )
    report["status"] = "ok" if healthy else "error"
    return report, 200 if healthy else 503


def _database(services: Services) -> str:
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return f"unreachable: {type(error).__name__}"
    return "ok"


def _broker(services: Services) -> str:
    url = services.settings.redis_url
    if not url:
        return "embedded"
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:
        return f"unreachable: {type(error).__name__}"
    return "ok"


def _sweep(services: Services) -> dict[str, Any]:
    limit = stale_after(services.settings.sweep_interval_seconds)
    try:
        with services.uow(writer=False) as uow:  # a probe never queues behind writers
            run = deadlines.last_sweep(uow)
    except Exception as error:
        return {"last_sweep_age_seconds": None, "sweep": f"unknown: {type(error).__name__}"}
    if run is None:
        in_grace = time.monotonic() - current_app.extensions.get(STARTED, 0.0) < limit
        return {"last_sweep_age_seconds": None, "sweep_ok": in_grace, "sweep": "never"}
    age = max((services.clock.now() - run.at).total_seconds(), 0.0)
    return {
        "last_sweep_age_seconds": round(age, 1),
        "last_sweep": {"runner": run.runner, "due": run.due, "fired": run.fired},
        "sweep": "ok" if age <= limit else "stale",
        "sweep_ok": age <= limit,
    }


def _mail(services: Services) -> dict[str, int] | None:
    try:
        with services.uow(writer=False) as uow:  # a probe never queues behind writers
            return outbox.counts(uow)
    except Exception:
        return None

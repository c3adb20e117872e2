"""``/healthz``: is the database reachable."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    services = current_app.extensions["casepath"]
    try:
        with services.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return {"status": "error", "database": f"unreachable: {type(error).__name__}"}, 503
    return {"status": "ok", "database": "ok"}, 200

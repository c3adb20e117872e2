"""Incidents: the cases of a coordinator's or manager's centres that an error in the pathway stopped.

Retrying one is a case action (``POST /cases/<id>/retry`` in ``web.cases``); this page lists them, the
suspended cases, and leads to each case's repair page (``web.repair``), also by a case number.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from engine.casework.incidents import list_incidents
from engine.casework.read.repair_view import suspended_cases
from web.db import reads_only, request_uow
from web.query import page_arg
from web.security import current_principal, require_sign_in

bp = Blueprint("incidents", __name__)
bp.before_request(require_sign_in)


@bp.get("/incidents")
@reads_only
def index() -> Any:
    page = page_arg()
    who = current_principal()
    incidents = list_incidents(request_uow(), who, page)
    return render_template("incidents.html", page=incidents, suspended=suspended_cases(request_uow(), who))

"""The dashboard (``/dashboard``, a manager's landing page), its charts' numbers as JSON, and a centre's
places page (rooms and who stays where, the waiting list, this month's turn-aways)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from flask_babel import lazy_gettext as _l

from engine.casework.read.stays import this_month
from engine.people import places
from engine.people.permissions import can_edit_rooms, can_use_dashboard, require
from engine.reports import charts
from engine.reports.dashboard import dashboard_centres, get_dashboard_centre, month_start, read_dashboard
from web.db import current_services, reads_only, request_uow
from web.security import current_principal, require_sign_in

bp = Blueprint("dashboard", __name__)
bp.before_request(require_sign_in)

# What each chart and series is called, in the reader's language (the engine returns keys).
CHARTS = {
    "occupancy": _l("Occupancy over the last 12 months"),
    "caseload": _l("Caseload per worker"),
    "stay_length": _l("Length of stay"),
    "overdue": _l("Overdue work over the last 12 weeks"),
}
SERIES = {
    "average": _l("Average residents"),
    "peak": _l("Most residents"),
    "capacity": _l("Places"),
    "cases": _l("Cases with a task they hold"),
    "current": _l("Residents now"),
    "ended": _l("Stays ended in the last 12 months"),
    "overdue": _l("Overdue tasks"),
}
AXES = {
    "occupancy": _l("Month"),
    "caseload": _l("Worker"),
    "stay_length": _l("Length of stay"),
    "overdue": _l("Week ending"),
}
STAY_LABELS = {
    "0-6d": _l("under a week"),
    "7-29d": _l("1–4 weeks"),
    "1-3m": _l("1–3 months"),
    "3-5m": _l("3–5 months"),
    "5-6m": _l("5–6 months"),
    "6m+": _l("over 6 months"),
}
REASONS = {
    "no_place": _l("no free place"),
    "outside_target_group": _l("outside the target group"),
    "safety": _l("safety"),
}


def translated(data: dict[str, Any]) -> dict[str, Any]:
    """The engine's charts with titles, series names and axis labels in the reader's language."""
    out = {}
    for key, chart in data.items():
        labels = [str(STAY_LABELS.get(label, label)) for label in chart["labels"]]
        out[key] = {
            "title": str(CHARTS[key]),
            "axis": str(AXES[key]),
            "labels": labels,
            "series": [
                {"key": name, "name": str(SERIES[name]), "values": values}
                for name, values in chart["series"].items()
            ],
        }
    return out


@bp.get("/dashboard")
@reads_only
def index() -> Any:
    who = current_principal()
    require(can_use_dashboard(who), "the dashboard is for managers and case leads")
    uow = request_uow()
    boards = [
        (read_dashboard(uow, who, centre.code), translated(charts.read_charts(uow, who, centre.code)))
        for centre in dashboard_centres(uow, who)
    ]
    return render_template("dashboard.html", boards=boards, reasons=REASONS)


@bp.get("/dashboard/<code>/charts.json")
@reads_only
def charts_json(code: str) -> Any:
    who = current_principal()
    return jsonify(translated(charts.read_charts(request_uow(), who, code)))


@bp.get("/centres/<code>/places")
@reads_only
def centre_places(code: str) -> Any:
    """Rooms and places with who stays on each, the waiting list and this month's turn-aways: the
    centre's, for its manager and its case leads alike (both read the centre's cases)."""
    who, uow = current_principal(), request_uow()
    centre, _scope = get_dashboard_centre(uow, who, code)
    now = current_services().clock.now()
    return render_template(
        "places.html",
        centre=centre,
        places=places.list_places(uow, centre.id),
        unplaced=places.residents_without_place(uow, centre.id),
        can_edit_rooms=can_edit_rooms(who, centre.id),
        waiting=places.list_waiting(uow, centre.id),
        turn_aways=places.list_turn_aways(uow, centre.id, month_start(now)),
        month=this_month(now),
        reasons=REASONS,
    )

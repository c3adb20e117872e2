"""``/api/v1/centres/{code}/dashboard`` and ``/occupancy``: what a centre's dashboard shows, as JSON.

The same permissions as the page: a centre's manager reads all of it, a case lead the figures of the
cases they lead; other roles of the centre 403, and a centre where the caller has no role 404.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from engine.clock import local_date
from engine.reports import charts, occupancy
from engine.reports.dashboard import get_dashboard_centre, read_dashboard
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.errors import error_response
from web.api.schemas import DashboardSchema, OccupancyQuerySchema, OccupancySchema
from web.db import current_services, reads_only, request_uow

blp = api_blueprint("dashboard", "The centre dashboard: occupancy, overdue work, the charts' numbers")


@blp.get("/centres/<code>/dashboard")
@blp.response(200, DashboardSchema)
@errors(blp, 403, 404)
@reads_only
def dashboard(code: str) -> Any:
    """Today's figures of a centre and the numbers of its four charts (`charts`)."""
    who, uow = caller(), request_uow()
    figures = read_dashboard(uow, who, code)
    return {**vars(figures), "overdue": figures.overdue, "turned_away": figures.turned_away} | {
        "charts": charts.read_charts(uow, who, code)
    }


def _day(raw: str, name: str, default: date) -> date | Any:
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return error_response(400, "bad_request", f"{name} is not a date", {name: ["a date as YYYY-MM-DD"]})


@blp.get("/centres/<code>/occupancy")
@blp.arguments(OccupancyQuerySchema, location="query", as_kwargs=True)
@blp.response(200, OccupancySchema)
@errors(blp, 400, 403, 404, 422)
@reads_only
def occupancy_days(code: str, from_: str = "", to: str = "") -> Any:
    """Residents and places at the end of each kept day between `from` and `to` (ISO dates)."""
    who, uow = caller(), request_uow()
    centre, _ = get_dashboard_centre(uow, who, code)
    today = local_date(current_services().clock.now())
    last = _day(to, "to", today)
    first = _day(from_, "from", (last if isinstance(last, date) else today) - timedelta(days=365))
    for value in (first, last):
        if not isinstance(value, date):
            return value
    days = occupancy.occupancy_history(uow, who, centre, first, last)
    return {"centre": centre.code, "days": days}

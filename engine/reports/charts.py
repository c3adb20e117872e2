"""The dashboard's charts as numbers: the browser draws them, and shows the same numbers as tables.

Each chart is ``{"labels": [...], "series": {key: [...]}}``; the web adapter names the series in the
reader's language. Scope as on the dashboard: a case lead's caseload, stays and overdue work are those
of the cases they lead; occupancy is the centre's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select

from engine.clock import local_date
from engine.people.centres import staying
from engine.people.permissions import Principal
from engine.reports.dashboard import get_dashboard_centre, led_cases
from engine.store.models import Case, CaseTask, OccupancyDay, User
from engine.store.uow import UnitOfWork

MONTHS = 12
WEEKS = 12
# Stay lengths in days: [0, 7), [7, 30), [30, 91), [91, 152), [152, 183), [183, ...)
STAY_BUCKETS = (("0-6d", 7), ("7-29d", 30), ("1-3m", 91), ("3-5m", 152), ("5-6m", 183), ("6m+", None))

Chart = dict[str, Any]


def read_charts(uow: UnitOfWork, who: Principal, code: str) -> dict[str, Chart]:
    centre, scope = get_dashboard_centre(uow, who, code)
    now = uow.clock.now()
    mine, my_tasks = led_cases(who, centre, scope)
    return {
        "occupancy": _occupancy(uow, centre.id, local_date(now)),
        "caseload": _caseload(uow, centre.id, my_tasks),
        "stay_length": _stay_length(uow, centre.id, mine, now),
        "overdue": _overdue_weekly(uow, centre.id, my_tasks, now),
    }


def _months(today: date) -> list[str]:
    labels = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return labels[::-1]


def _occupancy(uow: UnitOfWork, centre_id: int, today: date) -> Chart:
    """Average and peak residents per month of the last twelve, and the places."""
    labels = _months(today)
    first = date.fromisoformat(labels[0] + "-01")
    rows = uow.session.execute(
        select(OccupancyDay.day, OccupancyDay.residents, OccupancyDay.capacity).where(
            OccupancyDay.centre_id == centre_id, OccupancyDay.day >= first, OccupancyDay.day <= today
        )
    ).all()
    by_month: dict[str, list[tuple[int, int]]] = {label: [] for label in labels}
    for day, residents, capacity in rows:
        by_month[day.strftime("%Y-%m")].append((residents, capacity))
    average, peak, places = [], [], []
    for label in labels:
        days = by_month[label]
        average.append(round(sum(r for r, _ in days) / len(days), 1) if days else None)
        peak.append(max(r for r, _ in days) if days else None)
        places.append(days[-1][1] if days else None)
    return {"labels": labels, "series": {"average": average, "peak": peak, "capacity": places}}


def _caseload(uow: UnitOfWork, centre_id: int, mine: ColumnElement[bool]) -> Chart:
    """Cases in which each worker holds an open task."""
    rows = uow.session.execute(
        select(
            func.coalesce(func.nullif(User.display_name, ""), User.username),
            func.count(func.distinct(CaseTask.case_id)),
        )
        .select_from(CaseTask)
        .join(User, User.id == CaseTask.assignee_id)
        .where(CaseTask.status == "open", CaseTask.centre_id == centre_id, mine)
        .group_by(User.id, User.display_name, User.username)
        .order_by(func.count(func.distinct(CaseTask.case_id)).desc(), User.username)
    ).all()
    return {"labels": [row[0] for row in rows], "series": {"cases": [int(row[1]) for row in rows]}}


def stay_bucket(days: float) -> int:
    """The index in ``STAY_BUCKETS`` of a stay of so many days (the statistics count by it too)."""
    for index, (_, below) in enumerate(STAY_BUCKETS):
        if below is None or days < below:
            return index
    return len(STAY_BUCKETS) - 1


def _stay_length(uow: UnitOfWork, centre_id: int, mine: ColumnElement[bool], now: datetime) -> Chart:
    """Current residents by how long they have stayed, and stays ended in the last twelve months."""
    current = [0] * len(STAY_BUCKETS)
    ended = [0] * len(STAY_BUCKETS)
    for (admitted,) in uow.session.execute(
        select(Case.admitted_at).where(Case.centre_id == centre_id, staying(), mine)
    ):
        current[stay_bucket((now - admitted).total_seconds() / 86400)] += 1
    year_ago = now - timedelta(days=365)
    for admitted, left in uow.session.execute(
        select(Case.admitted_at, Case.left_at).where(
            Case.centre_id == centre_id, Case.left_at >= year_ago, mine
        )
    ):
        if left is not None:
            ended[stay_bucket((left - admitted).total_seconds() / 86400)] += 1
    return {"labels": [label for label, _ in STAY_BUCKETS], "series": {"current": current, "ended": ended}}


def _overdue_weekly(uow: UnitOfWork, centre_id: int, mine: ColumnElement[bool], now: datetime) -> Chart:
    """Tasks overdue at the end of each of the last twelve weeks (and now).

    A task was overdue at ``t`` if it existed, was due before ``t`` and was not completed by then.
    Only tasks still open or completed within the window can have been: the two are read by index.
    """
    points = [now - timedelta(weeks=weeks) for weeks in range(WEEKS, -1, -1)]
    window = points[0]
    sums = [
        func.coalesce(
            func.sum(
                case(
                    (
                        (CaseTask.created_at <= t)
                        & (CaseTask.due_at < t)
                        & or_(CaseTask.completed_at.is_(None), CaseTask.completed_at > t),
                        1,
                    ),
                    else_=0,
                )
            ),
            0,
        )
        for t in points
    ]
    totals = [0] * len(points)
    for status_condition in (
        CaseTask.status == "open",
        (CaseTask.status == "completed") & (CaseTask.completed_at >= window),
    ):
        row = uow.session.execute(
            select(*sums)
            .select_from(CaseTask)
            .where(status_condition, CaseTask.centre_id == centre_id, CaseTask.due_at < now, mine)
        ).one()
        totals = [total + int(value) for total, value in zip(totals, row, strict=True)]
    labels = [local_date(t.astimezone(UTC)).isoformat() for t in points]
    return {"labels": labels, "series": {"overdue": totals}}

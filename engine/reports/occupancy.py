"""Occupancy by day: each day's residents per centre, kept in ``occupancy_day`` for the charts.

A day's figure is the number of people staying at the end of that day (Sofia): admitted by then and
neither gone (``left_at``) nor closed by then. The same rule fills the history after the fact (the demo,
a centre that starts using Casepath) and today's row, which the daily beat task and "on demand" rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func, or_, select, true

from engine.clock import SOFIA, local_date
from engine.errors import ValidationFailed
from engine.people.permissions import Principal, can_view_dashboard, require
from engine.store.models import Case, Centre, OccupancyDay
from engine.store.uow import UnitOfWork

MAX_DAYS = 3 * 366


def end_of(day: date) -> datetime:
    """The first instant after ``day`` in Sofia, in UTC."""
    following = day + timedelta(days=1)
    return datetime.combine(following, time(), tzinfo=SOFIA).astimezone(UTC)


def record_days(uow: UnitOfWork, first: date, last: date, centre_ids: list[int] | None = None) -> int:
    """(Re)write the rows of the days ``first``..``last`` for the centres (all by default); how many."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValidationFailed("bad range", {"from": [f"a range of 1 to {MAX_DAYS} days"]})
    centres = uow.session.execute(
        select(Centre.id, Centre.capacity).where(Centre.id.in_(centre_ids) if centre_ids else true())
    ).all()
    written = 0
    for centre_id, capacity in centres:
        counts = _counts(uow, centre_id, first, last)
        uow.session.execute(
            delete(OccupancyDay).where(
                OccupancyDay.centre_id == centre_id, OccupancyDay.day >= first, OccupancyDay.day <= last
            )
        )
        uow.session.add_all(
            OccupancyDay(centre_id=centre_id, day=day, residents=n, capacity=capacity) for day, n in counts
        )
        written += len(counts)
    uow.session.flush()
    return written


def record_today(uow: UnitOfWork) -> int:
    """Today's row for every centre (the beat task, and "on demand")."""
    today = local_date(uow.clock.now())
    return record_days(uow, today, today)


def _counts(uow: UnitOfWork, centre_id: int, first: date, last: date) -> list[tuple[date, int]]:
    gone = func.coalesce(Case.left_at, Case.closed_at)
    stays = uow.session.execute(
        select(Case.admitted_at, gone).where(
            Case.centre_id == centre_id,
            Case.admitted_at < end_of(last),
            or_(gone.is_(None), gone >= end_of(first - timedelta(days=1))),
        )
    ).all()
    counts = []
    day = first
    while day <= last:
        moment = end_of(day)
        counts.append(
            (day, sum(1 for came, went in stays if came < moment and (went is None or went >= moment)))
        )
        day += timedelta(days=1)
    return counts


@dataclass(frozen=True)
class OccupancyPoint:
    day: date
    residents: int
    capacity: int


def occupancy_history(
    uow: UnitOfWork, who: Principal, centre: Centre, first: date, last: date
) -> list[OccupancyPoint]:
    """The kept days of a centre between two dates, for whoever may read its dashboard."""
    require(can_view_dashboard(who, centre.id), "you may not read this centre's dashboard")
    if last < first:
        raise ValidationFailed("bad range", {"to": ["on or after from"]})
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed("bad range", {"to": [f"at most {MAX_DAYS} days after from"]})
    rows = uow.session.execute(
        select(OccupancyDay.day, OccupancyDay.residents, OccupancyDay.capacity)
        .where(OccupancyDay.centre_id == centre.id, OccupancyDay.day >= first, OccupancyDay.day <= last)
        .order_by(OccupancyDay.day)
    ).all()
    return [OccupancyPoint(*row) for row in rows]

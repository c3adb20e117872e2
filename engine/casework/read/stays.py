"""Conditions on a centre's stays that the dashboard counts and the case list filters on, so that a
figure and the list behind it always agree: arrivals and exits of a month, stays near the cap, exit
planning started."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, exists

from engine.clock import SOFIA, local_date
from engine.errors import ValidationFailed
from engine.people.centres import staying
from engine.store.models import Case, CaseTask

# Exit planning starts 30 days before the 6-month cap of a crisis-centre stay (DOMAIN.md, steps 11-12):
# a stay older than this many calendar months is "near the cap". The pathway's own timers decide what
# happens; this only chooses what the dashboard calls near.
NEAR_CAP_MONTHS = 5
EXIT_PLANNING_FORM = "exit_planning"  # the form of the pathways' exit-planning task


def month_bounds(month: str, field: str = "month") -> tuple[datetime, datetime]:
    """``YYYY-MM`` → its first instant and the first of the next month, in Sofia, as UTC."""
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise ValidationFailed("bad month", {field: ["a month as YYYY-MM"]}) from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return _midnight(first), _midnight(following)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SOFIA).astimezone(UTC)


def this_month(now: datetime) -> str:
    return local_date(now).strftime("%Y-%m")


def months_before(now: datetime, months: int) -> datetime:
    """``now`` less whole calendar months in Sofia (31 Aug less 6 months: 28/29 Feb)."""
    local = now.astimezone(SOFIA)
    year, month = divmod(local.month - 1 - months, 12)
    year, month = local.year + year, month + 1
    following = date(year + month // 12, month % 12 + 1, 1)
    day = min(local.day, (following - timedelta(days=1)).day)
    return local.replace(year=year, month=month, day=day).astimezone(UTC)


def near_cap(now: datetime) -> ColumnElement[bool]:
    """Residents whose stay is older than ``NEAR_CAP_MONTHS`` (the caller limits it to crisis centres)."""
    return staying() & (Case.admitted_at <= months_before(now, NEAR_CAP_MONTHS))


def exit_planning_started() -> ColumnElement[bool]:
    return exists().where(CaseTask.case_id == Case.id, CaseTask.form_key == EXIT_PLANNING_FORM)

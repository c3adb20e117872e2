"""Time for Casepath: an injectable clock and calendar-correct deadline arithmetic.

Nothing in Casepath calls ``datetime.now()`` directly: services receive a :class:`Clock`, tests a
:class:`FrozenClock`. Deadlines follow DOMAIN.md rather than SpiffWorkflow's own arithmetic:

* months and years are calendar months, clamped at month end (31 Aug + P6M = 28/29 Feb);
* days and weeks are calendar days in Europe/Sofia: P1D is the same local time the next day, even
  across a daylight-saving change;
* hours, minutes and seconds are real elapsed time: PT24H is 24 hours of wall time passing;
* every instant is stored and compared in UTC.
"""

from __future__ import annotations

import re
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

SOFIA = ZoneInfo("Europe/Sofia")

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_MAX_DURATION_PART = 10_000


class Clock(Protocol):
    """Where services get the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved: for tests, simulation and benchmarks."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, by: timedelta) -> None:
        self._at = self._at + by


@dataclass(frozen=True)
class Duration:
    """An ISO 8601 duration split into its calendar part and its elapsed-time part."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @property
    def calendar(self) -> relativedelta:
        return relativedelta(years=self.years, months=self.months, weeks=self.weeks, days=self.days)

    @property
    def elapsed(self) -> timedelta:
        return timedelta(hours=self.hours, minutes=self.minutes, seconds=self.seconds)

    def times(self, count: int) -> Duration:
        """``count`` of this duration as one duration: the n-th step of a cycle counted from its anchor.

        Anchor + 3 x P1M is anchor + P3M, never ((anchor + P1M) + P1M) + P1M: from 31 Jan the third month
        is 30 Apr, where stepping would clamp at 28 Feb and stay on the 28th ever after.
        """
        return Duration(*(count * value for value in astuple(self)))


def is_duration(text: str) -> bool:
    """Whether ``text`` is an ISO 8601 duration Casepath understands (P6M, PT24H, P1Y2M3DT4H …)."""
    return bool(_DURATION.match(text.strip()))


_LOOKS_LIKE_DURATION = re.compile(r"^P[\d.,T][\dYMWDTHS.,]*$", re.IGNORECASE)
_FRACTION = re.compile(r"\d[.,]\d")


def duration_problem(text: str) -> str:
    """Why ``text``, written like an ISO 8601 duration, is not one Casepath runs ("" when it is, or when
    it does not look like a duration at all): a fraction (PT0.25S), a part too long, a malformed one."""
    value = text.strip()
    if not _LOOKS_LIKE_DURATION.match(value):
        return ""
    if _FRACTION.search(value):
        return f"'{value}' has a fraction: write a duration in whole units (PT1S, PT15M, P1D)"
    try:
        parse_duration(value)
    except ValueError as error:
        return str(error)
    return ""


def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration of whole numbers; raise ValueError with a readable message."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"not an ISO 8601 duration: {text!r} (examples: P7D, P6M, PT24H)")
    parts = {name: int(value) for name, value in match.groupdict().items() if value is not None}
    if any(value > _MAX_DURATION_PART for value in parts.values()):
        raise ValueError(f"duration too long: {text!r}")
    return Duration(**parts)


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Casepath needs an explicit UTC offset")
    return moment.astimezone(UTC)


def add_duration(moment: datetime, duration: str | Duration) -> datetime:
    """``moment`` plus an ISO 8601 duration with Casepath's calendar rules; the result is in UTC."""
    parsed = parse_duration(duration) if isinstance(duration, str) else duration
    local = as_utc(moment).astimezone(SOFIA)
    # Calendar arithmetic on the wall-clock time, then re-attach the zone so the local hour is kept.
    wall = local.replace(tzinfo=None) + parsed.calendar
    shifted = wall.replace(tzinfo=SOFIA)
    return shifted.astimezone(UTC) + parsed.elapsed


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or datetime; a bare date means midnight in Sofia, a naive time is Sofia time."""
    value = text.strip()
    if len(value) == 10:
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=SOFIA).astimezone(UTC)
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SOFIA)
    return moment.astimezone(UTC)


def local_date(moment: datetime) -> date:
    """The calendar date in Sofia on which ``moment`` falls."""
    return as_utc(moment).astimezone(SOFIA).date()


def days_between(start: datetime, end: datetime) -> int:
    """Whole calendar days from ``start`` to ``end`` as the dates read in Sofia."""
    return (local_date(end) - local_date(start)).days


def isoformat_local(moment: datetime) -> str:
    """An instant written in Sofia time with its offset, for people and for task data."""
    return as_utc(moment).astimezone(SOFIA).isoformat(timespec="seconds")

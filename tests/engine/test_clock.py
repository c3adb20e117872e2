"""Casepath's deadline arithmetic: calendar months clamped at month end, Sofia days, real hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.clock import (
    FrozenClock,
    add_duration,
    as_utc,
    days_between,
    is_duration,
    isoformat_local,
    parse_duration,
    parse_instant,
)


def sofia(text: str) -> datetime:
    return parse_instant(text)


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2025-08-31T10:00", "P6M", "2026-02-28T10:00"),  # DOMAIN.md's example
        ("2023-08-31T10:00", "P6M", "2024-02-29T10:00"),  # leap year
        ("2024-01-31T09:00", "P1M", "2024-02-29T09:00"),
        ("2025-01-31T09:00", "P1M", "2025-02-28T09:00"),
        ("2025-08-31T10:00", "P5M", "2026-01-31T10:00"),
        ("2025-03-31T10:00", "P1M", "2025-04-30T10:00"),
        ("2024-02-29T10:00", "P1Y", "2025-02-28T10:00"),
        ("2025-06-15T10:00", "P20D", "2025-07-05T10:00"),
        ("2025-06-15T10:00", "P1W", "2025-06-22T10:00"),
        ("2025-06-15T10:00", "P1M2DT3H", "2025-07-17T13:00"),
    ],
)
def test_calendar_months_clamp_at_month_end(start: str, duration: str, expected: str) -> None:
    assert add_duration(sofia(start), duration) == sofia(expected)


def test_p1d_keeps_local_time_across_dst_but_pt24h_is_real_hours() -> None:
    before_autumn_change = sofia("2025-10-25T10:00")  # clocks go back on 26 Oct 2025 in Sofia
    assert isoformat_local(add_duration(before_autumn_change, "P1D")) == "2025-10-26T10:00:00+02:00"
    assert add_duration(before_autumn_change, "P1D") - before_autumn_change == timedelta(hours=25)
    assert add_duration(before_autumn_change, "PT24H") - before_autumn_change == timedelta(hours=24)
    assert isoformat_local(add_duration(before_autumn_change, "PT24H")) == "2025-10-26T09:00:00+02:00"
    before_spring_change = sofia("2026-03-28T10:00")  # clocks go forward on 29 Mar 2026
    assert add_duration(before_spring_change, "P1D") - before_spring_change == timedelta(hours=23)
    assert isoformat_local(add_duration(before_spring_change, "P1D")) == "2026-03-29T10:00:00+03:00"


def test_results_are_utc_and_naive_datetimes_are_refused() -> None:
    assert add_duration(sofia("2025-08-31T10:00"), "P6M").tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        as_utc(datetime(2025, 1, 1))


@pytest.mark.parametrize("text", ["P", "PT", "6M", "P6", "P1.5M", "PT24", "P-1D", "", "P1MT", "R/P1M"])
def test_bad_durations_are_refused(text: str) -> None:
    assert not is_duration(text)
    with pytest.raises(ValueError):
        parse_duration(text)


def test_absurd_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("P99999999Y")


def test_bare_dates_are_midnight_in_sofia_and_days_between_uses_local_dates() -> None:
    assert parse_instant("2025-07-01") == datetime(2025, 6, 30, 21, 0, tzinfo=UTC)
    late_evening = sofia("2025-07-01T23:30")
    next_morning = sofia("2025-07-02T00:30")
    assert days_between(late_evening, next_morning) == 1


def test_frozen_clock_moves_only_when_told() -> None:
    clock = FrozenClock(sofia("2025-01-01T00:00"))
    first = clock.now()
    clock.advance(timedelta(hours=1))
    assert clock.now() - first == timedelta(hours=1)

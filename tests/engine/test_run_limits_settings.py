"""The run limits are settings: read from CASEPATH_* variables, a bad minimum cycle refused at start."""

from __future__ import annotations

import pytest

from engine.bpmn.timers import cycle_too_short
from engine.config import RunLimits, load_settings


def test_limits_come_from_the_environment(tmp_path):
    env = {
        "CASEPATH_INSTANCE_DIR": str(tmp_path),
        "CASEPATH_RUN_MAX_STEPS": "50",
        "CASEPATH_RUN_MAX_SECONDS": "0.5",
        "CASEPATH_MIN_CYCLE": "p1d",
        "CASEPATH_MAX_TASKS_PER_CASE_DAY": "7",
        "CASEPATH_MAX_NOTIFICATIONS_PER_CASE_DAY": "9",
    }
    assert load_settings(env).run_limits == RunLimits(50, 0.5, "P1D", 7, 9)
    assert load_settings({"CASEPATH_INSTANCE_DIR": str(tmp_path)}).run_limits == RunLimits()


@pytest.mark.parametrize("value", ["1h", "PT", "P", "R/PT1H", "PT1.5H"])
def test_a_minimum_cycle_that_is_no_duration_is_refused(tmp_path, value):
    with pytest.raises(ValueError, match="CASEPATH_MIN_CYCLE"):
        load_settings({"CASEPATH_INSTANCE_DIR": str(tmp_path), "CASEPATH_MIN_CYCLE": value})


@pytest.mark.parametrize(
    ("duration", "minimum", "short"),
    [
        ("PT5M", "PT1H", True),
        ("PT1H", "PT1H", False),
        ("P1M", "P30D", True),
        ("P1M", "P28D", False),
        ("P1D", "PT25H", True),
    ],
)
def test_cycle_too_short_compares_durations(duration, minimum, short):
    assert cycle_too_short(duration, minimum) is short

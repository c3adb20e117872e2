"""Deadlines counted from the date the law names, and cycles whose n-th occurrence never drifts."""

from __future__ import annotations

from datetime import datetime

import pytest
from lxml import etree

from engine.bpmn import parsing, spiff
from engine.bpmn.due import anchor_instant, task_due
from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.properties import TaskProperties
from engine.clock import FrozenClock, add_duration, isoformat_local, parse_duration, parse_instant
from engine.errors import ExpressionError
from tests.conftest import FIXTURES

ADMITTED = "2026-01-31T10:00:00+02:00"


def at(text: str) -> datetime:
    return parse_instant(text)


def test_a_multiple_of_a_duration_counts_from_the_anchor_not_from_the_last_step() -> None:
    month = parse_duration("P1M")
    assert isoformat_local(add_duration(at(ADMITTED), month.times(3))) == "2026-04-30T10:00:00+03:00"
    stepped = at(ADMITTED)
    for _ in range(3):
        stepped = add_duration(stepped, month)
    assert isoformat_local(stepped) == "2026-04-28T10:00:00+03:00"  # what stepping gave before


def test_a_due_date_counts_from_its_anchor_however_late_the_task_opened() -> None:
    props = TaskProperties(due="P20D", due_from="admitted_at")
    opened = at("2026-02-06T15:30:00+02:00")  # a six-day crisis intervention first
    due = task_due(props, {"admitted_at": ADMITTED}, opened, Evaluator(FrozenClock(opened)))
    assert due is not None and isoformat_local(due) == "2026-02-20T10:00:00+02:00"
    plain = task_due(
        TaskProperties(due="P20D"), {"admitted_at": ADMITTED}, opened, Evaluator(FrozenClock(opened))
    )
    assert plain is not None and isoformat_local(plain) == "2026-02-26T15:30:00+02:00"


def test_a_date_only_anchor_counts_from_the_start_of_that_day() -> None:
    assert isoformat_local(
        anchor_instant("identified_on", {"identified_on": "2026-02-02"}, at(ADMITTED))
    ) == ("2026-02-02T00:00:00+02:00")


@pytest.mark.parametrize("value", [None, "", "someday", 42])
def test_an_anchor_the_case_has_no_date_in_is_a_due_date_error(value: object) -> None:
    data = {} if value is None else {"order_date": value}
    with pytest.raises(ExpressionError) as raised:
        anchor_instant("order_date", data, at(ADMITTED))
    assert raised.value.problem == "due_date"
    assert "order_date" in raised.value.message


def _started(data: dict[str, str], clock: FrozenClock) -> object:
    root = etree.fromstring((FIXTURES / "pathways" / "anchored.bpmn").read_bytes())
    return spiff.start(parsing.parse_pathway(root), data, clock)


def _due(workflow: object, element_id: str) -> str:
    return next(
        isoformat_local(t.due_at) for t in spiff.waiting_timers(workflow) if t.element_id == element_id
    )


def test_timers_count_from_their_anchor_and_cycles_never_drift() -> None:
    clock = FrozenClock(at(ADMITTED))
    data = {"admitted_at": ADMITTED, "identified_on": "2026-02-02"}
    workflow = _started(data, clock)
    clock.set(at("2026-02-06T15:30:00+02:00"))
    [intervention] = spiff.ready_human_tasks(workflow)
    spiff.complete(workflow, intervention.id, {})
    assert _due(workflow, "reflection") == "2026-03-04T00:00:00+02:00"  # 30 days from identification
    assert _due(workflow, "reviews") == "2026-02-28T10:00:00+02:00"  # a month from the admission
    seen = []
    for moment in ("2026-03-09T09:00:00+02:00", "2026-04-02T09:00:00+03:00"):  # reviews fire late
        clock.set(at(moment))
        spiff.run(workflow)
        seen.append(_due(workflow, "reviews"))
    assert seen == ["2026-03-31T10:00:00+03:00", "2026-04-30T10:00:00+03:00"]


def test_a_timer_anchored_on_a_missing_date_stops_the_case_naming_the_element() -> None:
    clock = FrozenClock(at(ADMITTED))
    workflow = _started({"admitted_at": ADMITTED}, clock)  # no identified_on
    [intervention] = spiff.ready_human_tasks(workflow)
    with pytest.raises(spiff.RuntimeFailure) as raised:
        spiff.complete(workflow, intervention.id, {})
    assert raised.value.problem == "due_date"
    assert raised.value.element_id == "reflection"

"""Every timer value is checked at import; one computed at run time that is not a time parks the case."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from engine.bpmn.timers import check_timer
from engine.casework import cases
from engine.errors import ExpressionError
from engine.pathways import versions
from engine.pathways.forms import FormCatalog
from engine.pathways.lint import check_document
from engine.store.models import CaseTask
from tests.engine.conftest import mini_pathway

WAIT = "<bpmn:timeDuration>P1M</bpmn:timeDuration>"
DUE = '<spiffworkflow:property name="due" value="PT24H"/>'
INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)


@pytest.mark.parametrize(
    ("timer", "message"),
    [
        ("PT0.25S", "'PT0.25S' has a fraction"),
        ('"PT0.25S"', "'PT0.25S' has a fraction"),
        ("P1.5D", "has a fraction"),
        ("PT0,5H", "has a fraction"),
        ("R/PT0.5H", "has a fraction"),
        ("P99999D", "duration too long"),
        ('"soon"', "neither an ISO 8601 duration"),
    ],
)
def test_a_timer_that_is_no_time_is_refused_at_import(
    timer: str, message: str, fixture_forms: FormCatalog
) -> None:
    with pytest.raises(ExpressionError) as refused:
        check_timer(timer)
    assert message in refused.value.message
    xml = mini_pathway(replace={WAIT: f"<bpmn:timeDuration>{timer}</bpmn:timeDuration>"})
    verdict, parsed = check_document(xml, fixture_forms)
    assert parsed is None
    assert [problem.element_id for problem in verdict.problems] == ["wait_month"], verdict.summary()


@pytest.mark.parametrize("timer", ["P7D", '"P7D"', "R/P1M", "2026-01-31", 'add_duration(admitted_at, "P6M")'])
def test_times_are_accepted(timer: str) -> None:
    check_timer(timer)


@pytest.mark.parametrize(
    ("due", "message"),
    [
        ("PT0.25S", "has a fraction"),
        ("&quot;P1D&quot;", "quoted text, not a date"),
        ("P1.5D", "has a fraction"),
    ],
)
def test_a_due_date_that_is_no_time_is_refused_at_import(
    due: str, message: str, fixture_forms: FormCatalog
) -> None:
    xml = mini_pathway(replace={DUE: f'<spiffworkflow:property name="due" value="{due}"/>'})
    verdict, parsed = check_document(xml, fixture_forms)
    assert parsed is None and message in verdict.summary(), verdict.summary()


def test_a_due_date_computed_at_opening_that_is_no_date_parks_the_case(
    make_uow, world, fixture_forms
) -> None:
    value = "add_duration(admitted_at, &quot;P1&quot; + &quot;.5D&quot;)"
    computed = f'<spiffworkflow:property name="due" value="{value}"/>'
    with make_uow() as uow:
        versions.deploy(uow, mini_pathway(replace={DUE: computed}), fixture_forms, world.staff["coordinator"])
        case = cases.open_case(uow, world.staff["social_worker"], replace(INTAKE))
        assert (case.status, case.incident_element, case.incident_problem) == (
            "incident",
            "assess",
            "due_date",
        )


def test_a_timer_computed_at_run_time_that_is_no_time_parks_the_case(make_uow, world, fixture_forms) -> None:
    """Fractional timers once crashed simulation and case opening with a ValueError from the clock."""
    computed = '<bpmn:timeDuration>"PT0" + ".25S"</bpmn:timeDuration>'
    who = world.staff["social_worker"]
    with make_uow() as uow:
        versions.deploy(
            uow, mini_pathway(replace={WAIT: computed}), fixture_forms, world.staff["coordinator"]
        )
        case = cases.open_case(uow, who, replace(INTAKE))
        task = uow.session.scalar(select(CaseTask).where(CaseTask.case_id == case.id))
        cases.complete_task(uow, who, task.public_id, {"note": "x", "risk": "low"}, fixture_forms)
        assert (case.status, case.incident_element, case.incident_problem) == (
            "incident",
            "wait_month",
            "wrong_kind",
        )

"""Conditional events: a boundary condition and an intermediate one wait on the case data, evaluated by
the safe evaluator after each task completion; a name the case does not have yet reads as "not yet"."""

from __future__ import annotations

from tests.constructs.conftest import (
    case_status,
    complete,
    deadlines,
    deploy_construct,
    in_inboxes,
    open_adult_case,
)


def test_high_risk_interrupts_the_support_and_calls_the_psychologist(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "conditional")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    staff = world.staff
    assert case_status(make_uow, case_id)[0] == "open"  # `risk` is not known yet: no incident
    assert in_inboxes(make_uow, world, public_id) == ["risk_check", "support"]
    assert deadlines(make_uow, case_id) == []
    complete(
        make_uow, staff["social_worker"], case_id, "risk_check", {"note": "x", "risk": "high"}, fixture_forms
    )
    assert in_inboxes(make_uow, world, public_id) == ["safety_plan", "tell_psych"]
    complete(make_uow, staff["manager"], case_id, "safety_plan", {"note": "ok"}, fixture_forms)
    complete(make_uow, staff["psychologist"], case_id, "tell_psych", {"note": "ok"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"


def test_low_risk_fires_nothing_and_the_waiting_condition_ends_with_the_case(
    make_uow, world, fixture_forms, clock
):
    deploy_construct(make_uow, world, fixture_forms, "conditional")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    complete(
        make_uow,
        world.staff["social_worker"],
        case_id,
        "risk_check",
        {"note": "x", "risk": "low"},
        fixture_forms,
    )
    assert in_inboxes(make_uow, world, public_id) == ["support"]
    complete(make_uow, world.staff["case_lead"], case_id, "support", {"note": "ok"}, fixture_forms)
    # only the intermediate condition waits, and nothing can change the data any more: the case says so
    assert case_status(make_uow, case_id)[:2] == ("incident", "stuck")

"""A timer behind an event-based gateway ("the order arrives, or P7D passes") is a deadline row from
the moment the gateway waits, and the sweep fires it through a real Celery worker on Redis; the
message on the other branch cancels it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.casework.deadlines import sweep
from engine.casework.messages import awaited_messages, deliver_message
from engine.store.models import Case, Deadline
from tasks.celery_app import FIRE_DEADLINE
from tests.constructs.conftest import (
    case_status,
    complete,
    deadlines,
    deploy_construct,
    in_inboxes,
    inbox_tasks,
    notifications,
    open_adult_case,
)
from tests.tasks.conftest import broker_idle, running_worker, wait_for


def _waiting_at_the_gateway(make_uow, world, forms, clock):
    deploy_construct(make_uow, world, forms, "event_based_gateway_timer")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    assert inbox_tasks(make_uow, world.staff["social_worker"], public_id) == ["assess"]
    assert deadlines(make_uow, case_id) == []
    complete(make_uow, world.staff["social_worker"], case_id, "assess", {"note": "ok"}, forms)
    return case_id, public_id


def test_the_gateway_timer_is_a_deadline_and_a_celery_worker_fires_it(
    make_committed_uow, committed_world, fixture_forms, clock, celery_app, redis_url
):
    world = committed_world
    case_id, public_id = _waiting_at_the_gateway(make_committed_uow, world, fixture_forms, clock)
    assert deadlines(make_committed_uow, case_id) == [("week_passes", "pending")]
    with make_committed_uow() as uow:
        row = uow.session.scalar(select(Deadline).where(Deadline.case_id == case_id))
        assert row.due_at == clock.now() + timedelta(days=7)
        assert (row.kind, row.legal_source, row.due_duration) == (
            "Седем дни без заповед",
            "ЗЗДет чл. 27",
            "P7D",
        )
        deadline_id = row.id
    clock.set(clock.now() + timedelta(days=7, seconds=1))
    celery_app.tasks[FIRE_DEADLINE].delay(deadline_id)
    with running_worker(celery_app):
        wait_for(broker_idle(redis_url), what="an idle broker")
    assert deadlines(make_committed_uow, case_id) == [("week_passes", "fired")]
    assert inbox_tasks(make_committed_uow, world.staff["case_lead"], public_id) == ["follow_up"]
    manager = world.staff["manager"].user_id
    [(user, kind, text)] = notifications(make_committed_uow, case_id)
    assert (user, kind) == (manager, "deadline.fired") and "Седем дни без заповед" in text
    assert "Мария" not in text
    complete(
        make_committed_uow, world.staff["case_lead"], case_id, "follow_up", {"note": "asked"}, fixture_forms
    )
    assert case_status(make_committed_uow, case_id)[0] == "closed"


def test_the_message_branch_wins_and_cancels_the_gateway_timer(make_uow, world, fixture_forms, clock):
    case_id, public_id = _waiting_at_the_gateway(make_uow, world, fixture_forms, clock)
    with make_uow() as uow:
        deliver_message(uow, world.staff["case_lead"], public_id, "order_arrived", {}, fixture_forms)
        uow.commit()
    assert deadlines(make_uow, case_id) == [("week_passes", "cancelled")]
    assert inbox_tasks(make_uow, world.staff["case_lead"], public_id) == ["act_on_order"]
    complete(make_uow, world.staff["case_lead"], case_id, "act_on_order", {"note": "done"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"


def _waiting_for_three(make_uow, world, forms, clock):
    """Open a case on the diagram whose event-based gateway waits for an order (message), seven days
    (timer) or a high risk (condition), beside a risk check that may change the data."""
    deploy_construct(make_uow, world, forms, "event_based_gateway_conditional")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    assert deadlines(make_uow, case_id) == [("week_passes", "pending")]  # scheduled as the gateway waits
    with make_uow() as uow:
        row = uow.session.scalar(select(Deadline).where(Deadline.case_id == case_id))
        assert (row.due_at, row.legal_source) == (clock.now() + timedelta(days=7), "ЗЗДет чл. 27")
    assert case_status(make_uow, case_id)[0] == "open"  # `risk` unknown yet: the condition is "not yet"
    return case_id, public_id


def test_a_data_change_takes_the_conditional_branch_and_cancels_the_timer(
    make_uow, world, fixture_forms, clock
):
    case_id, public_id = _waiting_for_three(make_uow, world, fixture_forms, clock)
    staff = world.staff
    complete(
        make_uow, staff["social_worker"], case_id, "risk_check", {"note": "x", "risk": "high"}, fixture_forms
    )
    assert deadlines(make_uow, case_id) == [("week_passes", "cancelled")]
    assert inbox_tasks(make_uow, staff["manager"], public_id) == ["safety_plan"]
    with make_uow() as uow:  # the other branches are gone: the order is no longer awaited
        assert awaited_messages(uow, uow.session.get_one(Case, case_id)) == []
    complete(make_uow, staff["manager"], case_id, "safety_plan", {"note": "ok"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"


def test_a_data_change_that_does_not_meet_the_condition_leaves_the_gateway_waiting(
    make_uow, world, fixture_forms, clock
):
    case_id, public_id = _waiting_for_three(make_uow, world, fixture_forms, clock)
    staff = world.staff
    complete(
        make_uow, staff["social_worker"], case_id, "risk_check", {"note": "x", "risk": "low"}, fixture_forms
    )
    assert deadlines(make_uow, case_id) == [("week_passes", "pending")]
    assert in_inboxes(make_uow, world, public_id) == []
    clock.set(clock.now() + timedelta(days=7, seconds=1))
    assert sweep(make_uow) == 1
    assert deadlines(make_uow, case_id) == [("week_passes", "fired")]
    assert inbox_tasks(make_uow, staff["case_lead"], public_id) == ["follow_up"]
    complete(make_uow, staff["case_lead"], case_id, "follow_up", {"note": "asked"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"

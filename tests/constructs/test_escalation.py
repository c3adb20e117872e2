"""Escalation events: a throw inside the stay is caught by the non-interrupting boundary escalation of
the same code (a task for the manager) while the stay goes on; the throw notifies the roles it names."""

from __future__ import annotations

from engine.notify.notifications import PATHWAY_THREW
from tests.constructs.conftest import (
    case_status,
    complete,
    deadlines,
    deploy_construct,
    in_inboxes,
    notifications,
    open_adult_case,
)


def test_an_escalation_calls_the_manager_without_stopping_the_stay(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "escalation")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    staff = world.staff
    complete(
        make_uow, staff["social_worker"], case_id, "assess", {"note": "x", "risk": "high"}, fixture_forms
    )
    assert in_inboxes(make_uow, world, public_id) == ["manager_review", "support"]
    [(user, kind, text)] = notifications(make_uow, case_id)
    assert (user, kind) == (staff["manager"].user_id, PATHWAY_THREW) and "Ескалация към управителя" in text
    assert deadlines(make_uow, case_id) == []
    complete(make_uow, staff["case_lead"], case_id, "support", {"note": "ok"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "open"  # the manager's review is still open
    complete(make_uow, staff["manager"], case_id, "manager_review", {"note": "seen"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"


def test_without_the_escalation_nobody_is_called(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "escalation")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    complete(
        make_uow, world.staff["social_worker"], case_id, "assess", {"note": "x", "risk": "low"}, fixture_forms
    )
    assert in_inboxes(make_uow, world, public_id) == ["support"]
    assert notifications(make_uow, case_id) == []
    complete(make_uow, world.staff["case_lead"], case_id, "support", {"note": "ok"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"

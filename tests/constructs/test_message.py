"""Messages with payload: a receive task waits for "court decision" with its data, a boundary message
event ends the assessment when the referral is withdrawn; delivered by the roles the diagram names,
validated against the form the diagram declares, refused (409) when nothing waits for them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.casework.messages import MessageRejected, awaited_messages, deliver_message
from engine.errors import ConcurrencyConflict, NotFound, PermissionDenied
from engine.store.models import AuditEvent, Case
from tests.constructs.conftest import (
    audit_actions,
    case_status,
    complete,
    deadlines,
    deploy_construct,
    inbox_tasks,
    open_adult_case,
)

COURT = {"outcome": "placement", "decided_on": "2026-03-02"}


@pytest.fixture
def opened(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "message")
    return open_adult_case(make_uow, world, clock.now())


def deliver(make_uow, who, public_id, name, data, forms):
    with make_uow() as uow:
        deliver_message(uow, who, public_id, name, data, forms)
        uow.commit()


def test_a_receive_task_waits_for_the_court_decision_and_its_data_steer_the_case(
    make_uow, world, fixture_forms, opened
):
    case_id, public_id = opened
    staff = world.staff
    assert inbox_tasks(make_uow, staff["social_worker"], public_id) == ["assess"]
    with pytest.raises(ConcurrencyConflict, match=r"court_decision.*it waits for: referral_withdrawn"):
        deliver(make_uow, staff["case_lead"], public_id, "court_decision", COURT, fixture_forms)
    complete(make_uow, staff["social_worker"], case_id, "assess", {"note": "ok"}, fixture_forms)
    # waiting for the message: no task, the late-decision timer is a deadline row, the case is open
    assert inbox_tasks(make_uow, staff["case_lead"], public_id) == []
    assert deadlines(make_uow, case_id) == [("court_late", "pending")]
    assert case_status(make_uow, case_id)[0] == "open"
    with make_uow() as uow:
        [awaited] = awaited_messages(uow, uow.session.get_one(Case, case_id))
    assert (awaited.name, awaited.label, awaited.label_en) == (
        "court_decision",
        "Решение на съда",
        "Court decision",
    )
    assert awaited.roles == ("case_lead", "social_worker") and awaited.form_key == "court_decision"

    # a role the element does not name may not deliver it; another centre's staff do not see the case
    with pytest.raises(PermissionDenied, match="delivered by: case_lead, social_worker"):
        deliver(make_uow, staff["psychologist"], public_id, "court_decision", COURT, fixture_forms)
    with pytest.raises(NotFound):
        deliver(make_uow, world.outsider, public_id, "court_decision", COURT, fixture_forms)
    # data that do not fit the declared form: refused naming the field, nothing stored
    with pytest.raises(MessageRejected) as refused:
        deliver(
            make_uow, staff["case_lead"], public_id, "court_decision", {"outcome": "prison"}, fixture_forms
        )
    assert set(refused.value.fields) == {"outcome", "decided_on"}
    with pytest.raises(MessageRejected) as refused:
        deliver(make_uow, staff["case_lead"], public_id, "court_decision", ["placement"], fixture_forms)
    assert refused.value.fields == {"data": ["must be a JSON object"]}
    assert "case.message" not in audit_actions(make_uow, case_id)

    deliver(make_uow, staff["case_lead"], public_id, "court_decision", COURT, fixture_forms)
    assert inbox_tasks(make_uow, staff["case_lead"], public_id) == ["placement"]
    assert deadlines(make_uow, case_id) == [("court_late", "cancelled")]
    with make_uow() as uow:
        entry = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.message"))
        assert (entry.subject, entry.detail["fields"]) == ("court_decision", ["decided_on", "outcome"])
        assert entry.actor_id == staff["case_lead"].user_id
    # delivered once: the second delivery finds nothing waiting (409), never a silent drop
    with pytest.raises(
        ConcurrencyConflict, match="nothing in the case waits for the message 'court_decision'"
    ):
        deliver(make_uow, staff["case_lead"], public_id, "court_decision", COURT, fixture_forms)
    complete(make_uow, staff["case_lead"], case_id, "placement", {"note": "placed"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"


def test_the_other_outcome_closes_the_case_without_a_placement(make_uow, world, fixture_forms, opened):
    case_id, public_id = opened
    complete(make_uow, world.staff["social_worker"], case_id, "assess", {"note": "ok"}, fixture_forms)
    home = {"outcome": "return_home", "decided_on": "2026-03-02"}
    deliver(make_uow, world.staff["social_worker"], public_id, "court_decision", home, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"
    assert deadlines(make_uow, case_id) == [("court_late", "cancelled")]


def test_a_boundary_message_without_data_interrupts_the_task_it_is_attached_to(
    make_uow, world, fixture_forms, opened
):
    case_id, public_id = opened
    with pytest.raises(MessageRejected) as refused:  # this message carries no data
        deliver(
            make_uow, world.staff["manager"], public_id, "referral_withdrawn", {"why": "x"}, fixture_forms
        )
    assert refused.value.fields == {"why": ["this message carries no data"]}
    deliver(make_uow, world.staff["manager"], public_id, "referral_withdrawn", None, fixture_forms)
    assert inbox_tasks(make_uow, world.staff["social_worker"], public_id) == []
    assert case_status(make_uow, case_id)[0] == "closed"
    assert audit_actions(make_uow, case_id)[-1] == "case.message"

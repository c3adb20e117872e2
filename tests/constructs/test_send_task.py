"""Send tasks and message throw events become Casepath notifications to the roles the element names:
the case number and the element's name, never a value of the case; each is audited once."""

from __future__ import annotations

from engine.notify.notifications import PATHWAY_THREW
from tests.constructs.conftest import (
    audit_actions,
    case_status,
    complete,
    deadlines,
    deploy_construct,
    inbox_tasks,
    notifications,
    open_adult_case,
)


def test_a_send_task_and_a_message_throw_notify_the_roles_they_name(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "send_task")
    case_id, public_id = open_adult_case(make_uow, world, clock.now())
    staff = world.staff
    assert inbox_tasks(make_uow, staff["social_worker"], public_id) == ["assess"]
    assert notifications(make_uow, case_id) == []
    complete(
        make_uow, staff["social_worker"], case_id, "assess", {"note": "Мария е в опасност"}, fixture_forms
    )
    got = notifications(make_uow, case_id)
    number = _number(make_uow, case_id)
    assert got == sorted([
        (staff["manager"].user_id, PATHWAY_THREW, f"{number}: Уведомяване на ОЗД"),
        (staff["case_lead"].user_id, PATHWAY_THREW, f"{number}: Уведомяване на ОЗД"),
        (staff["psychologist"].user_id, PATHWAY_THREW, f"{number}: Случаят е приет"),
    ])  # fmt: skip
    assert not any("Мария" in text for _, _, text in got)  # neither the name nor the form's data
    assert audit_actions(make_uow, case_id).count("case.thrown") == 2
    assert inbox_tasks(make_uow, staff["case_lead"], public_id) == ["plan"]
    assert deadlines(make_uow, case_id) == []
    complete(make_uow, staff["case_lead"], case_id, "plan", {"note": "ok"}, fixture_forms)
    assert case_status(make_uow, case_id)[0] == "closed"
    assert len(notifications(make_uow, case_id)) == 3  # announced once, not again at the next step


def _number(make_uow, case_id):
    from engine.store.models import Case

    with make_uow() as uow:
        return uow.session.get_one(Case, case_id).number

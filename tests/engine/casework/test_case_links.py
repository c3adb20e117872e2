"""A handover from a ЦОП case opens the child's case at the chosen children's crisis centre, linked.

On the shipped pathways and forms, on SQLite and PostgreSQL: the system opens the case, both cases'
audit trails say so, the other centre's intake roles are told without a value from the case, and
each reader sees of the other case only what they may (two users per role and centre). A centre that
does not exist, or is not a crisis centre, parks the ЦОП case as an incident with a value-free code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from engine.casework import cases
from engine.casework.case_links import links_of
from engine.config import PROJECT_ROOT
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import create_user, principal_for
from engine.store.models import AuditEvent, Case, CaseLink, CaseTask, Notification

PATHWAYS = PROJECT_ROOT / "workflows" / "pathways"
CHILD = {"child_name": "Дете Тестово", "child_birth_date": "2016-05-04"}


@dataclass
class Centres:
    staff: dict[tuple[str, str, int], Principal]  # (centre code, role, n) → principal


@pytest.fixture
def centres(make_uow, forms) -> Centres:
    staff: dict[tuple[str, str, int], Principal] = {}
    with make_uow() as uow:
        ensure_centre(uow, SYSTEM, "cop-a", "ЦОП А", "community_support", 30, "ул. ЦОП 1")
        ensure_centre(uow, SYSTEM, "kc-deca", "КЦ за деца", "crisis_centre", 10, "ул. Тайна 5")
        ensure_centre(uow, SYSTEM, "kc-full", "КЦ пълен", "crisis_centre", 1, "ул. Пълна 7")
        for code in ("cop-a", "kc-deca", "kc-full"):
            for role in ("social_worker", "case_lead", "manager", "psychologist", "coordinator"):
                for n in (1, 2):
                    user = create_user(
                        uow,
                        SYSTEM,
                        f"{code}-{role}-{n}".replace("_", "-"),
                        "correct horse battery",
                        code,
                        role,
                    )
                    staff[(code, role, n)] = principal_for(user)
        for key in ("community_support", "crisis_centre_child"):  # after the sub-pathways they call
            versions.deploy_shipped_pathway(uow, PATHWAYS.parent, key, forms, SYSTEM)
        uow.commit()
    return Centres(staff)


def _open_cop_case(make_uow, centres: Centres) -> int:
    intake = cases.Intake(
        centre_code="cop-a",
        display_name="Майка Тестова",
        legal_basis="walk_in",
        target_group="child_at_risk",
        birth_date=date(1990, 1, 1),
    )
    with make_uow() as uow:
        case = cases.open_case(uow, centres.staff[("cop-a", "social_worker", 1)], intake)
        cases.signal_case(uow, centres.staff[("cop-a", "case_lead", 1)], case.public_id, "violence_disclosed")
        uow.commit()
        return case.id


def _complete(make_uow, centres: Centres, forms, case_id: int, element: str, data: dict) -> None:
    with make_uow() as uow:
        task = uow.session.scalar(
            select(CaseTask).where(
                CaseTask.case_id == case_id, CaseTask.element_id == element, CaseTask.status == "open"
            )
        )
        assert task is not None, element
        who = centres.staff[("cop-a", task.role, 1)]
        values = {**forms.get(task.form_key).defaults(), **data}
        cases.complete_task(uow, who, task.public_id, values, forms)
        uow.commit()


def _hand_over(make_uow, centres, forms, centre_code: str) -> int:
    case_id = _open_cop_case(make_uow, centres)
    _complete(make_uow, centres, forms, case_id, "Task_ViolenceReport", {})
    handover = {"handover_to": "crisis_centre_child", "child_centre": centre_code, **CHILD}
    _complete(make_uow, centres, forms, case_id, "Task_ViolenceHandover", handover)
    return case_id


def test_handover_opens_the_childs_case_at_the_chosen_centre_linked(make_uow, centres, forms):
    case_id = _hand_over(make_uow, centres, forms, "kc-deca")
    with make_uow() as uow:
        cop = uow.session.get(Case, case_id)
        [link] = uow.session.scalars(select(CaseLink)).all()
        child = uow.session.get(Case, link.to_case_id)
        assert (link.from_case_id, link.kind, link.element_id) == (
            cop.id,
            "handover",
            "Service_OpenChildCase",
        )
        assert cop.status == "open" and child.status == "open"
        assert child.centre.code == "kc-deca" and child.pathway_version.pathway.key == "crisis_centre_child"
        assert (child.display_name, child.birth_date, child.legal_basis) == (
            "Дете Тестово",
            date(2016, 5, 4),
            "handover",
        )
        assert child.referral_number == cop.number
        for one, other in ((cop, child), (child, cop)):
            [entry] = uow.session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == one.id, AuditEvent.action == "case.link")
            ).all()
            assert entry.actor == "system" and entry.subject == other.number
            assert entry.detail["over_capacity"] is False
        told = uow.session.scalars(select(Notification).where(Notification.case_id == child.id)).all()
        assert {n.user_id for n in told} == {
            centres.staff[("kc-deca", role, n)].user_id for role in ("social_worker", "case_lead", "manager")
            for n in (1, 2)
        }  # fmt: skip
        for note in told:
            said = note.text + json.dumps(note.params, ensure_ascii=False)
            assert note.kind == "case.linked" and note.params == {"number": child.number}
            assert "Тестов" not in said and "Тайна" not in said and "ЦОП" not in said
        # The ЦОП case went on to its closure; the child's case waits for its first work.
        open_cop = uow.session.scalars(
            select(CaseTask.element_id).where(CaseTask.case_id == cop.id, CaseTask.status == "open")
        ).all()
        assert "Task_ViolenceClosure" in open_cop
        assert uow.session.scalars(
            select(CaseTask).where(CaseTask.case_id == child.id, CaseTask.status == "open")
        ).all()


def test_each_reader_sees_of_the_other_case_only_what_they_may(make_uow, centres, forms):
    case_id = _hand_over(make_uow, centres, forms, "kc-deca")
    with make_uow() as uow:
        cop = uow.session.get(Case, case_id)
        child = uow.session.get(Case, uow.session.scalars(select(CaseLink.to_case_id)).one())
        for n in (1, 2):
            for role in ("social_worker", "case_lead", "manager", "psychologist"):
                cop_reader = centres.staff[("cop-a", role, n)]
                [seen] = links_of(uow, cop_reader, cop)
                assert (seen.direction, seen.number, seen.centre_name) == ("to", child.number, "КЦ за деца")
                assert seen.public_id is None and seen.status is None  # may not open the child's case
                kc_reader = centres.staff[("kc-deca", role, n)]
                [back] = links_of(uow, kc_reader, child)
                assert (back.direction, back.number, back.centre_code) == ("from", cop.number, "cop-a")
                assert back.public_id is None and back.status is None
                [forward] = links_of(uow, kc_reader, cop)  # reading the link from the side they may open
                assert forward.public_id == child.public_id and forward.status == "open"


def test_a_full_centre_still_receives_the_child_and_the_audit_says_so(make_uow, centres, forms):
    _hand_over(make_uow, centres, forms, "kc-full")  # its one place is taken
    case_id = _hand_over(make_uow, centres, forms, "kc-full")
    with make_uow() as uow:
        link = uow.session.scalars(select(CaseLink).where(CaseLink.from_case_id == case_id)).one()
        assert uow.session.get(Case, case_id).status == "open"
        assert uow.session.get(Case, link.to_case_id).status == "open"
        entry = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.case_id == link.to_case_id, AuditEvent.action == "case.link")
        ).one()
        assert entry.detail["over_capacity"] is True


@pytest.mark.parametrize(
    ("centre_code", "problem"), [("kc-nowhere", "no_such_centre"), ("cop-a", "wrong_centre_kind")]
)
def test_a_wrong_centre_parks_the_case_as_an_incident_and_opens_nothing(
    make_uow, centres, forms, centre_code, problem
):
    case_id = _hand_over(make_uow, centres, forms, centre_code)
    with make_uow() as uow:
        cop = uow.session.get(Case, case_id)
        assert (cop.status, cop.incident_element, cop.incident_problem) == (
            "incident",
            "Service_OpenChildCase",
            problem,
        )
        assert "Тестов" not in cop.incident_message
        assert uow.session.scalars(select(CaseLink)).all() == []
        assert uow.session.scalars(select(Case).where(Case.centre_id != cop.centre_id)).all() == []

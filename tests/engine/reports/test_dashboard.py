"""The dashboard's figures on SQLite and PostgreSQL: each equals the length of the list it links to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.casework import cases, inbox
from engine.casework.intake import admit, put_on_waiting_list, record_turn_away
from engine.casework.read.case_list import CaseFilters, list_cases
from engine.errors import NotFound, PermissionDenied, ValidationFailed
from engine.pathways import versions
from engine.people import places
from engine.people.centres import find_centre
from engine.people.permissions import Principal
from engine.people.places import PlaceSpec
from engine.reports import charts, occupancy
from engine.reports.dashboard import read_dashboard
from engine.store.models import Case, CaseTask, OccupancyDay
from engine.store.uow import UnitOfWork
from tests.engine.conftest import mini_pathway

INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)


def open_cases(
    make_uow: Callable[[], UnitOfWork], who: Principal, count: int, **changes: object
) -> list[int]:
    with make_uow() as uow:
        opened = [cases.open_case(uow, who, replace(INTAKE, **changes)).id for _ in range(count)]  # type: ignore[arg-type]
        uow.commit()
        return opened


def test_places_taken_count_residents_only_and_the_month_s_arrivals_and_exits(make_uow, world, clock):
    ids = open_cases(make_uow, world.staff["social_worker"], 4)
    with make_uow() as uow:
        gone, closed = uow.session.get(Case, ids[0]), uow.session.get(Case, ids[1])
        gone.left_at = clock.now()  # left, the case still open for its follow-up calls
        closed.status, closed.closed_at = "closed", clock.now()
        uow.commit()
    with make_uow() as uow:
        board = read_dashboard(uow, world.staff["manager"], "kc-test")
        assert (board.residents, board.capacity) == (2, 12)
        assert (board.arrivals, board.exits, board.month) == (4, 1, "2025-08")
        staying = list_cases(
            uow, world.staff["manager"], "all", filters=CaseFilters("kc-test", stay="staying")
        )
        arrived = list_cases(
            uow, world.staff["manager"], "all", filters=CaseFilters("kc-test", arrived="2025-08")
        )
        left = list_cases(uow, world.staff["manager"], "all", filters=CaseFilters("kc-test", left="2025-08"))
        assert (staying.total, arrived.total, left.total) == (2, 4, 1)


def test_overdue_work_by_kind_and_by_worker_matches_the_filtered_inbox(make_uow, world, clock):
    open_cases(make_uow, world.staff["social_worker"], 3)
    with make_uow() as uow:
        first = uow.session.scalars(select(CaseTask).order_by(CaseTask.id)).first()
        inbox.claim(uow, world.staff["social_worker"], first.public_id)
        uow.commit()
    clock.advance(timedelta(days=2))  # the initial assessments (PT24H) are a day late
    manager = world.staff["manager"]
    with make_uow() as uow:
        board = read_dashboard(uow, manager, "kc-test")
        assert [(c.key, c.label, c.count) for c in board.overdue_by_kind] == [
            ("assess", "Initial assessment", 3)
        ]
        assert [(c.key, c.count) for c in board.overdue_by_worker] == [("", 2), ("t-social-worker", 1)]
        for key, count in (("t-social-worker", 1), ("-", 2)):
            listed = inbox.list_inbox(
                uow,
                manager,
                inbox.InboxFilters(scope="team", centre_id=world.centre_id, due="overdue", assignee=key),
            )
            assert listed.counts.matching == count
        assert board.overdue == 3 and board.due_week == 0


def test_a_case_lead_sees_the_figures_of_the_cases_they_lead(make_uow, world, clock):
    ids = open_cases(make_uow, world.staff["social_worker"], 2)
    with make_uow() as uow:  # a plan review of the first case, held by the case lead
        uow.session.add(
            CaseTask(
                case_id=ids[0],
                centre_id=world.centre_id,
                workflow_task_id="x",
                element_id="review",
                name="Plan review",
                role="case_lead",
                assignee_id=world.staff["case_lead"].user_id,
                created_at=clock.now(),
                due_at=clock.now() + timedelta(days=6),
            )
        )
        uow.commit()
    with make_uow() as uow:
        lead = read_dashboard(uow, world.staff["case_lead"], "kc-test")
        manager = read_dashboard(uow, world.staff["manager"], "kc-test")
        assert (lead.scope, lead.arrivals, lead.due_week) == ("team", 1, 2)
        assert (manager.scope, manager.arrivals, manager.due_week) == ("centre", 2, 3)
        assert lead.residents == manager.residents == 2  # places are the centre's
        mine = list_cases(uow, world.staff["case_lead"], "all", filters=CaseFilters(led=True))
        assert [row.number for row in mine.rows] == [uow.session.get(Case, ids[0]).number]


def test_stays_near_the_cap_with_and_without_exit_planning(make_uow, world, clock):
    long_ago = clock.now() - timedelta(days=160)
    ids = open_cases(make_uow, world.staff["social_worker"], 2, admitted_at=long_ago)
    open_cases(make_uow, world.staff["social_worker"], 1)
    with make_uow() as uow:
        uow.session.add(
            CaseTask(
                case_id=ids[0],
                centre_id=world.centre_id,
                workflow_task_id="y",
                element_id="Task_ExitPlanning",
                name="Exit planning",
                role="case_lead",
                form_key="exit_planning",
                created_at=clock.now(),
            )
        )
        uow.commit()
    with make_uow() as uow:
        board = read_dashboard(uow, world.staff["manager"], "kc-test")
        assert (board.near_cap_planned, board.near_cap_unplanned) == (1, 1)
        for planning, count in (("started", 1), ("not_started", 1), ("", 2)):
            found = list_cases(
                uow,
                world.staff["manager"],
                filters=CaseFilters("kc-test", stay="near_cap", exit_planning=planning),
            )
            assert found.total == count


@pytest.mark.parametrize(
    ("who", "error"),
    [("social_worker", PermissionDenied), ("psychologist", PermissionDenied), ("outsider", NotFound)],
)
def test_no_dashboard_for_other_roles_nor_another_centre(make_uow, world, who, error):
    principal = world.outsider if who == "outsider" else world.staff[who]
    with make_uow() as uow, pytest.raises(error):
        read_dashboard(uow, principal, "kc-test")
    with make_uow() as uow, pytest.raises(NotFound):
        read_dashboard(uow, world.staff["manager"], "kc-other")


def furnish(uow: UnitOfWork) -> None:
    centre = find_centre(uow, "kc-test")
    places.ensure_room(uow, centre, "Стая 1", [PlaceSpec("1а", "adult", women_only=True)])
    places.ensure_room(
        uow,
        centre,
        "Семейна",
        [PlaceSpec("2а", "adult", women_only=True), PlaceSpec("2б", "child")],
        family=True,
    )


def test_intake_settles_on_a_fitting_place_keeps_a_family_together_or_refuses(
    make_uow, world, clock, fixture_forms
):
    worker = world.staff["social_worker"]
    with make_uow() as uow:
        versions.deploy(
            uow, mini_pathway("crisis_centre_child"), fixture_forms, world.staff["coordinator"], "c.bpmn"
        )
        furnish(uow)
        mother = admit(uow, worker, replace(INTAKE, sex="female"))
        assert places.place_of(uow, mother.id) == ("Стая 1", "1а")  # single people keep family rooms free
        with pytest.raises(ValidationFailed) as refused:  # a man: every adult place is for women
            admit(uow, worker, replace(INTAKE, sex="male", display_name="Иван"))
        assert "over_capacity" in refused.value.fields
        child = admit(
            uow,
            worker,
            replace(INTAKE, display_name="Дете", birth_date=clock.now().date() - timedelta(days=3000)),
        )
        assert places.place_of(uow, child.id) == ("Семейна", "2б")
        with pytest.raises(ValidationFailed) as no_room:  # her room has no free place
            admit(uow, worker, replace(INTAKE, display_name="Брат"), with_case=mother.number)
        assert "over_capacity" in no_room.value.fields
        over = admit(uow, worker, replace(INTAKE, sex="male", display_name="Иван"), over_capacity=True)
        assert places.place_of(uow, over.id) is None


def test_waiting_list_and_turn_aways_are_figures(make_uow, world):
    worker = world.staff["social_worker"]
    with make_uow() as uow:
        put_on_waiting_list(uow, worker, INTAKE)
        record_turn_away(uow, worker, "kc-test", "no_place", "domestic_violence")
        record_turn_away(uow, worker, "kc-test", "safety", "")
        with pytest.raises(ValidationFailed):
            record_turn_away(uow, worker, "kc-test", "full moon", "")
        with pytest.raises(PermissionDenied):
            record_turn_away(uow, world.staff["psychologist"], "kc-test", "safety", "")
        board = read_dashboard(uow, world.staff["manager"], "kc-test")
        assert board.waiting == 1 and board.turned_away == 2
        assert {c.key: c.count for c in board.turn_aways} == {
            "no_place": 1,
            "outside_target_group": 0,
            "safety": 1,
        }
        [entry] = places.list_waiting(uow, world.centre_id)
        admitted = admit(uow, worker, INTAKE, waiting=entry.public_id)
        assert admitted.status == "open" and places.waiting_count(uow, world.centre_id) == 0


def test_occupancy_history_counts_who_stayed_at_the_end_of_each_day(make_uow, world, clock):
    ids = open_cases(make_uow, world.staff["social_worker"], 2, admitted_at=clock.now() - timedelta(days=3))
    with make_uow() as uow:
        uow.session.get(Case, ids[0]).left_at = clock.now() - timedelta(days=1)
        uow.commit()
    today = clock.now().date()
    with make_uow() as uow:
        assert occupancy.record_days(uow, today - timedelta(days=4), today) == 10  # 5 days, 2 centres
        uow.commit()
    with make_uow() as uow:
        days = occupancy.occupancy_history(
            uow, world.staff["manager"], find_centre(uow, "kc-test"), today - timedelta(days=4), today
        )
        assert [point.residents for point in days] == [0, 2, 2, 1, 1]
        occupancy.record_today(uow)  # rewriting a day replaces its row
        assert uow.session.query(OccupancyDay).count() == 10
        chart = charts.read_charts(uow, world.staff["manager"], "kc-test")
        assert chart["occupancy"]["labels"][-1] == "2025-08"
        assert chart["occupancy"]["series"]["peak"][-1] == 2
        assert chart["stay_length"]["series"]["current"] == [1, 0, 0, 0, 0, 0]
        with pytest.raises(PermissionDenied):
            occupancy.occupancy_history(
                uow,
                world.staff["educator"] if "educator" in world.staff else world.staff["psychologist"],
                find_centre(uow, "kc-test"),
                today,
                today,
            )


def test_overdue_over_time_counts_tasks_late_at_each_week_end(make_uow, world, clock):
    open_cases(make_uow, world.staff["social_worker"], 1)
    clock.advance(timedelta(days=10))
    with make_uow() as uow:
        chart = charts.read_charts(uow, world.staff["manager"], "kc-test")["overdue"]
        assert chart["series"]["overdue"][-1] == 1 and chart["series"]["overdue"][-2] == 1
        assert chart["series"]["overdue"][-3] == 0  # two weeks ago the case did not exist


def test_an_overdue_kind_carries_its_english_name_from_the_diagram(make_uow, world, clock, fixture_forms):
    role = '<spiffworkflow:property name="role" value="social_worker"/>'
    named = mini_pathway(replace={role: role + '<spiffworkflow:property name="name_en" value="First look"/>'})
    with make_uow() as uow:
        versions.deploy(uow, named, fixture_forms, world.staff["coordinator"], "named.bpmn")
        uow.commit()
    open_cases(make_uow, world.staff["social_worker"], 1)
    clock.advance(timedelta(days=2))
    with make_uow() as uow:
        [kind] = read_dashboard(uow, world.staff["manager"], "kc-test").overdue_by_kind
        assert (kind.key, kind.label, kind.label_en, kind.count) == (
            "assess",
            "Initial assessment",
            "First look",
            1,
        )

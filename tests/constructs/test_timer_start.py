"""Timer start events: a periodic pathway (the monthly occupancy report of a centre). Its case is the
centre's routine: opened once by the manager, its start timer is a deadline row, each occurrence puts
the report in the manager's inbox, it takes no place in the centre, and it ends with its cycle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.casework import deadlines as sweeping
from engine.casework.routines import open_routine
from engine.clock import add_duration
from engine.errors import ConcurrencyConflict, PermissionDenied, ValidationFailed
from engine.people.centres import occupancy
from engine.store.models import Case, Centre, Deadline
from tests.constructs.conftest import case_status, complete, deadlines, deploy_construct, inbox_tasks


def _start(make_uow, who, pathway="monthly_occupancy_report"):
    with make_uow() as uow:
        case = open_routine(uow, who, "kc-test", pathway)
        uow.commit()
        return case.id, case.public_id


def _next_due(make_uow, case_id):
    with make_uow() as uow:
        return uow.session.scalar(
            select(Deadline.due_at).where(Deadline.case_id == case_id, Deadline.status == "pending")
        )


def test_the_monthly_report_routine_runs_its_cycle_and_ends(make_uow, world, fixture_forms, clock):
    deploy_construct(make_uow, world, fixture_forms, "timer_start")
    manager = world.staff["manager"]
    with pytest.raises(PermissionDenied):
        _start(make_uow, world.staff["social_worker"])
    case_id, public_id = _start(make_uow, manager)
    with pytest.raises(ConcurrencyConflict, match="already runs this routine"):
        _start(make_uow, manager)
    with make_uow() as uow:
        case = uow.session.get_one(Case, case_id)
        assert (case.display_name, case.legal_basis, case.birth_date) == (
            "Месечен отчет за заетостта",
            "routine",
            None,
        )
        assert occupancy(uow, uow.session.get_one(Centre, world.centre_id)).open_cases == 0
    assert inbox_tasks(make_uow, manager, public_id) == []
    assert deadlines(make_uow, case_id) == [("every_month", "pending")]
    assert _next_due(make_uow, case_id) == add_duration(clock.now(), "P1M")  # a calendar month on

    for month in (1, 2):
        clock.set(_next_due(make_uow, case_id) + timedelta(minutes=1))
        assert sweeping.sweep(make_uow) == 1
        assert inbox_tasks(make_uow, manager, public_id) == ["report"]
        complete(make_uow, manager, case_id, "report", {"note": f"месец {month}"}, fixture_forms)
    assert deadlines(make_uow, case_id) == [("every_month", "fired"), ("every_month", "fired")]
    assert case_status(make_uow, case_id)[0] == "closed"  # R2: two reports, then the routine ends


def test_a_pathway_without_a_timer_start_is_no_routine(make_uow, world):
    with pytest.raises(ValidationFailed, match="does not start at a timer"):
        _start(make_uow, world.staff["manager"], "crisis_centre_adult")

"""The anonymised monthly statistics: counts per centre and month, small counts never recoverable."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from engine.casework import cases
from engine.casework.intake import record_turn_away
from engine.errors import NotFound, PermissionDenied, ValidationFailed
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import create_user, principal_for
from engine.reports.statistics import CATEGORIES, COMPLEMENTARY, SMALL, Table, read_statistics, suppress
from engine.store.models import Case, CaseTask
from engine.store.uow import UnitOfWork

INTAKE = cases.Intake(
    centre_code="kc-test",
    display_name="Мария П.",
    legal_basis="referral",
    target_group="domestic_violence",
    referral_number="ДСП-123",
)


def open_many(make_uow: Callable[[], UnitOfWork], who: Principal, count: int, **changes: object) -> list[int]:
    with make_uow() as uow:
        ids = [cases.open_case(uow, who, replace(INTAKE, **changes)).id for _ in range(count)]  # type: ignore[arg-type]
        uow.commit()
        return ids


def cells(table: Table) -> dict[str, str]:
    return {cell.category: cell.shown for cell in table.cells}


def by_figure(uow: UnitOfWork, who: Principal, month: str = "2025-08") -> dict[str, Table]:
    [centre] = read_statistics(uow, who, month, "kc-test").centres
    return {table.figure: table for table in centre.tables}


def test_small_counts_are_hidden_and_one_hidden_cell_takes_a_second_with_it():
    table = suppress("admissions_by_sex", {"female": 12, "male": 3})
    assert cells(table) == {"female": COMPLEMENTARY, "male": SMALL, "not_recorded": "0"}
    assert table.shown_total == "15"
    both = suppress("admissions_by_sex", {"female": 2, "male": 3, "not_recorded": 9})
    assert cells(both) == {"female": SMALL, "male": SMALL, "not_recorded": "9"}
    tiny = suppress("admissions_by_sex", {"female": 4})
    assert (tiny.shown_total, tiny.total, cells(tiny)["female"]) == (SMALL, None, SMALL)
    none = suppress("turn_aways_by_reason", {})
    assert none.shown_total == "0" and set(cells(none).values()) == {"0"}
    plain = suppress("admissions_by_sex", {"female": 5, "male": 7})
    assert cells(plain) == {"female": "5", "male": "7", "not_recorded": "0"}


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=3, max_size=3))
def test_no_hidden_cell_can_be_worked_out_from_the_total(counts: list[int]) -> None:
    """Whatever the counts: a table shows either no hidden cell, or two or more, or no total."""
    table = suppress("admissions_by_sex", dict(zip(CATEGORIES["admissions_by_sex"], counts, strict=True)))
    hidden = [cell for cell in table.cells if cell.count is None]
    assert len(hidden) != 1 or table.total is None
    assert all(cell.shown == SMALL for cell in hidden if 0 < sum(counts) < 5)
    for cell, raw in zip(table.cells, counts, strict=True):
        assert cell.count in (raw, None)
        assert (cell.shown == SMALL) == (0 < raw < 5)


def test_a_month_of_a_centre_counted_by_every_figure(make_uow, world, clock):
    worker = world.staff["social_worker"]
    first = datetime.fromisoformat("2025-08-01T10:00:00+03:00")
    open_many(make_uow, worker, 6, sex="female", birth_date=date(1990, 5, 1), admitted_at=first)
    open_many(make_uow, worker, 2, sex="male", legal_basis="urgent", referral_number="")
    open_many(make_uow, worker, 1, birth_date=date(1955, 1, 1), target_group="child_at_risk")
    with make_uow() as uow:
        for reason in ("no_place",) * 5 + ("safety",):
            record_turn_away(uow, worker, "kc-test", reason, "domestic_violence")
        stays = uow.session.scalars(select(Case).order_by(Case.id)).all()
        for case in stays[:6]:  # six left after ten days, five of them home
            case.left_at = case.admitted_at + timedelta(days=10)
        uow.commit()
        for case in stays[:5]:
            task = uow.session.scalars(select(CaseTask).where(CaseTask.case_id == case.id)).first()
            task.form_key, task.status, task.data = "exit_decision", "completed", {"exit_route": "home"}
            task.completed_at = clock.now()
        uow.commit()
    with make_uow() as uow:
        figures = by_figure(uow, world.staff["manager"])
    bases = cells(figures["admissions_by_legal_basis"])
    assert (bases.pop("referral"), bases.pop("urgent")) == (COMPLEMENTARY, SMALL)  # 7 and 2 of 9
    assert set(bases.values()) == {"0"}
    assert figures["admissions_by_legal_basis"].shown_total == "9"
    sexes = cells(figures["admissions_by_sex"])
    assert sexes == {"female": "6", "male": SMALL, "not_recorded": SMALL}
    bands = cells(figures["admissions_by_age_band"])
    assert bands["30-49"] == "6" and bands["65+"] == SMALL and bands["not_recorded"] == SMALL
    assert cells(figures["stays_by_length"])["7-29d"] == "6"
    routes = cells(figures["exits_by_route"])
    assert (routes["home"], routes["not_recorded"]) == (COMPLEMENTARY, SMALL)  # 5 and 1 of 6
    assert cells(figures["turn_aways_by_reason"]) == {
        "no_place": COMPLEMENTARY,
        "outside_target_group": "0",
        "safety": SMALL,
    }
    with make_uow() as uow:  # another month: nothing
        assert by_figure(uow, world.staff["manager"], "2025-07")["admissions_by_sex"].shown_total == "0"


def test_routines_are_no_admissions(make_uow, world):
    open_many(make_uow, world.staff["social_worker"], 5)
    with make_uow() as uow:
        routine = uow.session.scalars(select(Case)).first()
        routine.legal_basis = "routine"
        uow.commit()
        assert by_figure(uow, world.staff["manager"])["admissions_by_sex"].shown_total == SMALL


def test_only_the_centre_s_managers_read_its_statistics(make_uow, world):
    with make_uow() as uow:
        second = principal_for(
            create_user(uow, SYSTEM, "t-manager-2", "correct horse battery", "kc-test", "manager")
        )
        for manager in (world.staff["manager"], second):
            assert [c.code for c in read_statistics(uow, manager, "2025-08").centres] == ["kc-test"]
        for role in ("social_worker", "psychologist", "case_lead", "coordinator", "admin"):
            with pytest.raises(PermissionDenied):
                read_statistics(uow, world.staff[role], "2025-08")
            with pytest.raises(PermissionDenied):
                read_statistics(uow, world.staff[role], "2025-08", "kc-test")
        with pytest.raises(NotFound):
            read_statistics(uow, world.staff["manager"], "2025-08", "kc-other")
        with pytest.raises(NotFound):
            read_statistics(uow, world.staff["manager"], "2025-08", "no-such-centre")


@pytest.mark.parametrize("month", ["", "2025", "2025-13", "2025-8", "25-08-01", "août", "2025-08-01"])
def test_a_month_is_yyyy_mm(make_uow, world, month):
    with make_uow() as uow, pytest.raises(ValidationFailed) as raised:
        read_statistics(uow, world.staff["manager"], month)
    assert list(raised.value.fields) == ["month"]


def test_a_manager_of_two_centres_gets_each_centre_apart(make_uow, world):
    with make_uow() as uow:
        from engine.people.users import get_user, grant_role

        grant_role(uow, SYSTEM, "t-manager", "kc-other", "manager")
        uow.commit()
        who = principal_for(get_user(uow, "t-manager"))
        assert {c.code for c in read_statistics(uow, who, "2025-08").centres} == {"kc-test", "kc-other"}


def test_the_month_is_sofia_s(make_uow, world, clock):
    """A case admitted at 00:30 on 1 September in Sofia (21:30 UTC on 31 August) is September's."""
    at = datetime.fromisoformat("2025-09-01T00:30:00+03:00")
    open_many(make_uow, world.staff["social_worker"], 5, admitted_at=at)
    with make_uow() as uow:
        assert by_figure(uow, world.staff["manager"], "2025-09")["admissions_by_sex"].shown_total == "5"
        assert by_figure(uow, world.staff["manager"], "2025-08")["admissions_by_sex"].shown_total == "0"


def test_every_figure_lists_every_category():
    for figure, categories in CATEGORIES.items():
        table = suppress(figure, {})
        assert [cell.category for cell in table.cells] == list(categories)
        assert len(set(categories)) == len(categories)
    assert not set(itertools.chain.from_iterable(CATEGORIES.values())) & {SMALL, COMPLEMENTARY}

"""Every predicate of ``engine.people.permissions``, as a table: two users of every role in each of two
centres,
a user of two centres, a user without a role and the system, against the same case and tasks.

Each row names, by hand, exactly who is allowed; everybody else in the population must be refused.
A predicate without a row fails ``test_every_predicate_has_rows``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from engine.people import permissions
from engine.people.permissions import SYSTEM, Principal
from engine.people.roles import ROLES

A, B, NOBODYS = 1, 2, 3  # two centres with staff, and a centre nobody works in
READERS = ("social_worker", "psychologist", "educator", "medical", "case_lead", "manager")


def _population() -> dict[str, Principal]:
    people: dict[str, Principal] = {}
    next_id = 100
    for centre_name, centre in (("A", A), ("B", B)):
        for role in ROLES:
            for number in (1, 2):
                name = f"{centre_name}.{role.code}.{number}"
                people[name] = Principal(next_id, name, {centre: role.code})
                next_id += 1
    people["AB"] = Principal(900, "AB", {A: "social_worker", B: "coordinator"})  # two centres
    people["nobody"] = Principal(901, "nobody", {})
    people["system"] = SYSTEM
    return people


PEOPLE = _population()


def uid(name: str) -> int:
    user_id = PEOPLE[name].user_id
    assert user_id is not None
    return user_id


def at(centre: str, *roles: str) -> set[str]:
    """Both users of each role in the centre ("A" or "B")."""
    return {f"{centre}.{role}.{number}" for role in roles for number in (1, 2)}


@dataclass(frozen=True)
class Case:
    centre_id: int


@dataclass(frozen=True)
class Task:
    centre_id: int
    role: str
    assignee_id: int | None
    status: str


CASE_A = Case(A)
OPEN = Task(A, "social_worker", None, "open")
HELD_1 = Task(A, "social_worker", uid("A.social_worker.1"), "open")
HELD_AB = Task(A, "social_worker", 900, "open")
DONE = Task(A, "social_worker", None, "completed")
LEAD_TASK = Task(A, "case_lead", uid("A.case_lead.2"), "open")


@dataclass(frozen=True)
class Note:
    visibility: str
    author_id: int | None


STAFF_NOTE = Note("staff", uid("A.social_worker.1"))
THERAPY_NOTE = Note("psychologist", uid("A.psychologist.1"))


@dataclass(frozen=True)
class Row:
    predicate: str
    call: Callable[[Principal], bool]
    allowed: set[str]
    label: str


def row(predicate: str, label: str, allowed: Iterable[str], *args: Any) -> Row:
    check = getattr(permissions, predicate)
    return Row(predicate, lambda who: bool(check(who, *args)), set(allowed), f"{predicate}: {label}")


SW_A = {*at("A", "social_worker"), "AB"}
VIEW_A = {*at("A", *READERS), "AB"}
COORDINATORS = {*at("A", "coordinator"), *at("B", "coordinator"), "AB"}


def intake_staff(centre: str) -> set[str]:
    return at(centre, "social_worker", "case_lead", "manager")


ROWS = [
    row("can_view_case", "case of A", VIEW_A, CASE_A),
    row("can_view_task", "task of A", VIEW_A, HELD_1),
    row("can_read_cases_of", "centre B", at("B", *READERS), B),
    row("can_read_cases_of", "a centre without staff", set(), NOBODYS),
    row("can_signal_case", "case of A", VIEW_A, CASE_A),
    row("can_deliver_message", "case of A, by case_lead", at("A", "case_lead"), CASE_A, ("case_lead",)),
    row(
        "can_deliver_message",
        "case of A, by sw or manager",
        {*at("A", "social_worker", "manager"), "AB"},
        CASE_A,
        ("social_worker", "manager"),
    ),
    row("can_deliver_message", "by a role that does not read cases", set(), CASE_A, ("coordinator", "admin")),
    row("can_deliver_message", "case of A, nobody named", set(), CASE_A, ()),
    row("can_open_case", "in A", {*intake_staff("A"), "AB"}, A),
    row("can_claim", "unclaimed", SW_A, OPEN),
    row("can_claim", "held by A.social_worker.1", {"A.social_worker.1"}, HELD_1),
    row("can_claim", "held by AB", {"AB"}, HELD_AB),
    row("can_claim", "completed", set(), DONE),
    row("can_complete", "unclaimed", SW_A, OPEN),
    row("can_complete", "held by A.social_worker.1", {"A.social_worker.1"}, HELD_1),
    row("can_complete", "held by AB", {"AB"}, HELD_AB),
    row("can_complete", "completed", set(), DONE),
    row("can_complete", "a case lead's task held by A.case_lead.2", {"A.case_lead.2"}, LEAD_TASK),
    row("can_save_draft", "unclaimed", SW_A, OPEN),
    row("can_save_draft", "held by A.social_worker.1", {"A.social_worker.1"}, HELD_1),
    row("can_save_draft", "completed", set(), DONE),
    row("can_reassign", "held", at("A", "case_lead", "manager"), HELD_1),
    row("can_reassign", "completed", set(), DONE),
    row("can_unclaim", "held by A.sw.1", {"A.social_worker.1", *at("A", "case_lead", "manager")}, HELD_1),
    row("can_unclaim", "unclaimed", at("A", "case_lead", "manager"), OPEN),
    row("can_unclaim", "completed", set(), DONE),
    row("can_start_routine", "in A", at("A", "manager"), A),
    row("can_start_routine", "in B", at("B", "manager"), B),
    row("can_close_case", "case of A", at("A", "case_lead", "manager"), CASE_A),
    row("can_retry_incident", "case of A", at("A", "coordinator", "manager"), CASE_A),
    row("can_repair_case", "case of A", at("A", "coordinator", "manager"), CASE_A),
    row("can_view_incidents", "anywhere", {*COORDINATORS, *at("A", "manager"), *at("B", "manager")}),
    row("can_view_audit", "centre A", at("A", "manager"), A),
    row("can_view_case_audit", "case of A", at("A", "manager"), CASE_A),
    row("can_view_address", "centre A", {*at("A", *READERS, "coordinator"), "AB"}, A),
    row("can_view_address", "centre B", {*at("B", *READERS, "coordinator"), "AB"}, B),
    row("can_edit_pathway", "any", COORDINATORS),
    row("can_deploy_pathway", "used by A", at("A", "coordinator"), [A]),
    row("can_deploy_pathway", "used by B", {*at("B", "coordinator"), "AB"}, [B]),
    row("can_deploy_pathway", "used by A and B", COORDINATORS, [A, B]),
    row("can_deploy_pathway", "used by no centre", COORDINATORS, []),
    row("can_deploy_pathway", "used only by a centre nobody coordinates", set(), [NOBODYS]),
    row("can_read_studio", "any", {*COORDINATORS, *at("A", "manager"), *at("B", "manager")}),
    row(
        "can_approve_pathway",
        "used by A, asked by B.coordinator.1",
        at("A", "manager"),
        [A],
        uid("B.coordinator.1"),
    ),
    row(
        "can_approve_pathway",
        "used by A and B, asked by nobody known",
        {*at("A", "manager"), *at("B", "manager")},
        [A, B],
        None,
    ),
    row(
        "can_approve_pathway",
        "used by B, asked by B.manager.1 (not itself)",
        {"B.manager.2"},
        [B],
        uid("B.manager.1"),
    ),
    row("can_approve_pathway", "used by no centre", set(), [], None),
    row("can_manage_users", "any", {*at("A", "admin"), *at("B", "admin")}),
    row("can_administer", "centre A", at("A", "admin"), A),
    row("can_administer", "centre B", at("B", "admin"), B),
    row("can_grant_role", "a new user in A", at("A", "admin"), None, A),
    row("can_grant_role", "A.social_worker.1 in A", at("A", "admin"), uid("A.social_worker.1"), A),
    row("can_grant_role", "A.admin.1 in A (not to itself)", {"A.admin.2"}, uid("A.admin.1"), A),
    row("can_grant_role", "B.manager.1 in B", at("B", "admin"), uid("B.manager.1"), B),
    row("can_manage_account", "A.social_worker.1 of A", at("A", "admin"), uid("A.social_worker.1"), [A]),
    row("can_manage_account", "AB, of A and B", set(), 900, [A, B]),
    row("can_manage_account", "A.admin.1 (not itself)", {"A.admin.2"}, uid("A.admin.1"), [A]),
    row("can_manage_account", "a user of no centre", set(), 901, []),
    row("can_write_note", "for all staff, case of A", VIEW_A, CASE_A, "staff"),
    row("can_write_note", "for the psychologist, case of A", at("A", "psychologist"), CASE_A, "psychologist"),
    row("can_read_note", "for all staff", VIEW_A, CASE_A, STAFF_NOTE),
    row("can_read_note", "a therapy note", at("A", "psychologist"), CASE_A, THERAPY_NOTE),
    row("can_edit_note", "by A.social_worker.1", {"A.social_worker.1"}, CASE_A, STAFF_NOTE),
    row("can_edit_note", "a therapy note by A.psychologist.1", {"A.psychologist.1"}, CASE_A, THERAPY_NOTE),
    row("can_use_inbox", "any", {*at("A", *READERS), *at("B", *READERS), "AB"}),
    row("can_use_intake", "any", {*intake_staff("A"), *intake_staff("B"), "AB"}),
    row("can_view_dashboard", "centre A", at("A", "manager", "case_lead"), A),
    row("can_view_dashboard", "centre B", at("B", "manager", "case_lead"), B),
    row("can_use_dashboard", "any", {*at("A", "manager", "case_lead"), *at("B", "manager", "case_lead")}),
    row("can_export_case_list", "any", {*at("A", "manager"), *at("B", "manager")}),
    row(
        "can_generate_documents",
        "case of A",
        {*at("A", "social_worker", "case_lead", "manager"), "AB"},
        CASE_A,
    ),
    row("can_edit_rooms", "centre A", at("A", "manager", "admin"), A),
    row("can_edit_rooms", "centre B", at("B", "manager", "admin"), B),
    row("can_read_statistics", "centre A", at("A", "manager"), A),
    row("can_read_statistics", "centre B", at("B", "manager"), B),
    row("can_use_statistics", "any", {*at("A", "manager"), *at("B", "manager")}),
    row("can_answer_subject_request", "case of A", at("A", "manager"), CASE_A),
]


@pytest.mark.parametrize(
    ("name", "centre", "scope"),
    [
        ("A.manager.1", A, "centre"),
        ("A.manager.2", A, "centre"),
        ("A.case_lead.1", A, "team"),
        ("A.case_lead.2", A, "team"),
        ("A.manager.1", B, None),
        ("B.case_lead.1", A, None),
        ("A.social_worker.1", A, None),
        ("A.coordinator.1", A, None),
        ("A.admin.1", A, None),
        ("AB", A, None),
    ],
)
def test_dashboard_scope_is_the_whole_centre_for_managers_and_led_cases_for_case_leads(
    name: str, centre: int, scope: str | None
) -> None:
    assert permissions.dashboard_scope(PEOPLE[name], centre) == scope


@pytest.mark.parametrize("table_row", ROWS, ids=lambda r: r.label)
def test_predicate_allows_exactly_the_listed_people(table_row: Row) -> None:
    allowed = {name for name, who in PEOPLE.items() if table_row.call(who)}
    assert allowed == table_row.allowed


# Predicates over a role rather than a person.
ASSIGNABLE = [(role.code, role.code == "social_worker") for role in ROLES] + [(None, False)]
COMPATIBLE = [
    ("admin", None, True),
    ("social_worker", None, True),
    ("social_worker", "psychologist", True),
    ("manager", "coordinator", True),
    ("admin", "admin", True),
    ("admin", "social_worker", False),
    ("admin", "manager", False),
    ("coordinator", "admin", False),
    ("social_worker", "admin", False),
]


@pytest.mark.parametrize(("role", "expected"), ASSIGNABLE)
def test_can_be_assigned_follows_the_lane(role: str | None, expected: bool) -> None:
    assert permissions.can_be_assigned(role, HELD_1) is expected


@pytest.mark.parametrize(("role", "current", "expected"), COMPATIBLE)
def test_roles_compatible_keeps_admin_apart_from_casework(
    role: str, current: str | None, expected: bool
) -> None:
    assert permissions.roles_compatible(role, current) is expected


def test_every_predicate_has_rows() -> None:
    predicates = {
        name
        for name, value in inspect.getmembers(permissions, inspect.isfunction)
        if value.__module__ == permissions.__name__ and name.startswith("can_")
    }
    covered = {r.predicate for r in ROWS} | {"can_be_assigned"}
    assert predicates - covered == set()


def test_the_table_has_several_users_per_role_and_centre() -> None:
    for centre in "AB":
        for role in ROLES:
            assert {f"{centre}.{role.code}.1", f"{centre}.{role.code}.2"} <= set(PEOPLE)

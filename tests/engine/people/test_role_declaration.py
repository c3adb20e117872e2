"""The one declaration of roles (``engine.people.roles.ROLES``) against a table written by hand.

The engine's role sets and the permission matrix's expectations are both derived from the declaration,
so a wrong capability there would agree with itself everywhere else. This table is the independent
statement of who may do what: a capability given to or taken from a role fails here (and, for the
permissions, in ``test_permission_table.py``, whose rows name the allowed people by hand).
"""

from __future__ import annotations

from dataclasses import fields

import pytest

from engine.people import permissions, roles
from engine.people.roles import ROLES, Role

CAPABILITIES = [f.name for f in fields(Role) if f.type in (bool, "bool")]

# Each capability: exactly the roles that have it.
EXPECTED: dict[str, set[str]] = {
    "casework": {
        "social_worker",
        "psychologist",
        "educator",
        "medical",
        "case_lead",
        "coordinator",
        "manager",
    },
    "reads_cases": {"social_worker", "psychologist", "educator", "medical", "case_lead", "manager"},
    "may_intake": {"social_worker", "case_lead", "manager"},
    "leads_cases": {"case_lead", "manager"},
    "handles_incidents": {"coordinator", "manager"},
    "repairs_cases": {"coordinator", "manager"},
    "reads_therapy_notes": {"psychologist"},
    "reads_audit": {"manager"},
    "edits_pathways": {"coordinator"},
    "approves_pathway_changes": {"manager"},
    "administers": {"admin"},
    "told_of_grants": {"manager"},
    "told_of_escalations": {"manager"},
    "told_of_deployments": {"manager", "coordinator"},
    "reads_centre_dashboard": {"manager"},
    "reads_team_dashboard": {"case_lead"},
    "exports_case_list": {"manager"},
    "generates_documents": {"social_worker", "case_lead", "manager"},
    "edits_rooms": {"manager", "admin"},
    "reads_statistics": {"manager"},
    "answers_subject_requests": {"manager"},
}

# The named sets the engine and the permission matrix use, and the capability each stands for.
DERIVED = [
    (permissions.CASE_READERS, "reads_cases"),
    (permissions.INTAKE_ROLES, "may_intake"),
    (permissions.REASSIGNERS, "leads_cases"),
    (permissions.INCIDENT_HANDLERS, "handles_incidents"),
    (permissions.CASE_REPAIRERS, "repairs_cases"),
    (permissions.AUDIT_READERS, "reads_audit"),
    (permissions.THERAPY_NOTE_READERS, "reads_therapy_notes"),
    (permissions.PATHWAY_EDITORS, "edits_pathways"),
    (permissions.PATHWAY_APPROVERS, "approves_pathway_changes"),
    (permissions.ADMINS, "administers"),
    (roles.CASEWORK_ROLES, "casework"),
    (roles.TOLD_OF_GRANTS, "told_of_grants"),
    (roles.TOLD_OF_DEPLOYMENTS, "told_of_deployments"),
    (roles.TOLD_OF_ESCALATIONS, "told_of_escalations"),
    (permissions.CENTRE_DASHBOARD, "reads_centre_dashboard"),
    (permissions.TEAM_DASHBOARD, "reads_team_dashboard"),
    (permissions.CASE_EXPORTERS, "exports_case_list"),
    (permissions.DOCUMENT_WRITERS, "generates_documents"),
    (permissions.ROOM_EDITORS, "edits_rooms"),
    (permissions.STATISTICS_READERS, "reads_statistics"),
    (permissions.SUBJECT_REQUEST_HANDLERS, "answers_subject_requests"),
]


def test_every_capability_has_an_expected_row() -> None:
    assert CAPABILITIES, "Role declares no capabilities"
    assert set(EXPECTED) == set(CAPABILITIES)


def test_the_roles_are_the_expected_ones() -> None:
    assert [role.code for role in ROLES] == [
        "social_worker",
        "psychologist",
        "educator",
        "medical",
        "case_lead",
        "coordinator",
        "manager",
        "admin",
    ]


@pytest.mark.parametrize("capability", sorted(EXPECTED))
def test_the_declaration_gives_each_capability_to_exactly_the_expected_roles(capability: str) -> None:
    declared = {role.code for role in ROLES if getattr(role, capability)}
    assert declared == EXPECTED[capability]


@pytest.mark.parametrize(("derived", "capability"), DERIVED, ids=[c for _, c in DERIVED])
def test_the_engine_sets_are_the_expected_roles(derived: frozenset[str], capability: str) -> None:
    assert derived == EXPECTED[capability]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.code)
def test_a_role_is_either_casework_or_administration(role: Role) -> None:
    """Separation of duties (``roles_compatible``): an administrator has no casework capability; the
    centre's rooms and places are its structure, which they keep (seeing a place taken, never by whom)."""
    assert role.casework != role.administers
    if role.administers:
        assert [c for c in CAPABILITIES if getattr(role, c)] == ["administers", "edits_rooms"]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.code)
def test_who_opens_or_leads_a_case_reads_it(role: Role) -> None:
    if role.may_intake or role.leads_cases:
        assert role.reads_cases
    if role.reads_cases:
        assert role.casework

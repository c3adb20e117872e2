"""Who may call each ``/api/v1`` route: the JSON API's rows of the permission matrix.

``tests/web/test_permission_matrix.py`` calls every route of the URL map as every role, signed in by
session, for the own centre's case and task and for the other centre's. Its requests send form
data, which the API's JSON endpoints refuse with 422 before any service runs (their permissions
are covered with JSON bodies in ``test_api.py``). Nobody signed in gets 401, never a redirect.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from engine.people.permissions import (
    AUDIT_READERS,
    CASE_EXPORTERS,
    CASE_REPAIRERS,
    CENTRE_DASHBOARD,
    PATHWAY_APPROVERS,
    PATHWAY_EDITORS,
    STATISTICS_READERS,
    TEAM_DASHBOARD,
)
from engine.people.permissions import CASE_READERS as READERS
from tests import documents
from tests.engine.conftest import mini_pathway
from tests.web.conftest import WebWorld

STUDIO = PATHWAY_EDITORS | PATHWAY_APPROVERS  # coordinators edit, managers read to approve
LANE = {"social_worker"}  # the role of the fixture pathway's first task (tests/fixtures/mini.bpmn)
API = "/api/v1"
P = "/pathways/crisis_centre_adult"
Role = str | None


@dataclass(frozen=True)
class ApiRule:
    """The matrix's ``Rule``: where to call, what to expect per (role, own centre), what to send."""

    path: Callable[[WebWorld, bool], str]
    expect: Callable[[Role, bool], int]
    data: Callable[[bool], dict[str, Any]] | None = None


def fixed(path: str) -> Callable[[WebWorld, bool], str]:
    return lambda w, own: f"{API}{path}"


def case_url(suffix: str = "") -> Callable[[WebWorld, bool], str]:
    return lambda w, own: f"{API}/cases/{w.own_case if own else w.other_case}{suffix}"


def task_url(suffix: str) -> Callable[[WebWorld, bool], str]:
    return lambda w, own: f"{API}/tasks/{w.own_task if own else w.other_task}{suffix}"


def signed_in(status: int) -> Callable[[Role, bool], int]:
    return lambda role, own: 401 if role is None else status


def for_roles(allowed: Set[str], ok: int = 200) -> Callable[[Role, bool], int]:
    return lambda role, own: 401 if role is None else ok if role in allowed else 403


def on_case(allowed: Set[str], ok: int = 200) -> Callable[[Role, bool], int]:
    """Another centre's case or task is a 404, and so is any case for roles that read no cases."""

    def expect(role: Role, own: bool) -> int:
        if role is None:
            return 401
        if not own or role not in READERS:
            return 404
        return ok if role in allowed else 403

    return expect


def on_repair(role: Role, own: bool) -> int:
    """The repair view: the centre's coordinators and managers; 404 for those with neither right."""
    if role is None:
        return 401
    if not own or role not in READERS | CASE_REPAIRERS:
        return 404
    return 200 if role in CASE_REPAIRERS else 403


def on_centre(path: str) -> Callable[[WebWorld, bool], str]:
    return lambda w, own: f"{API}/centres/{'kc-test' if own else 'kc-other'}{path}"


def dashboard(role: Role, own: bool) -> int:
    """The own centre's manager and case leads read its dashboard; other roles 403; another centre 404."""
    if role is None:
        return 401
    if not own:
        return 404
    return 200 if role in CENTRE_DASHBOARD | TEAM_DASHBOARD else 403


def statistics(role: Role, own: bool) -> int:
    """The own centre's managers read its statistics; other roles 403; another centre 404."""
    if role is None:
        return 401
    if not own:
        return 404
    return 200 if role in STATISTICS_READERS else 403


API_RULES: dict[tuple[str, str], ApiRule] = {
    ("api_statistics.statistics", "GET"): ApiRule(
        lambda w, own: f"{API}/statistics?month=2025-08&centre={'kc-test' if own else 'kc-other'}", statistics
    ),
    ("api_dashboard.dashboard", "GET"): ApiRule(on_centre("/dashboard"), dashboard),
    ("api_dashboard.occupancy_days", "GET"): ApiRule(on_centre("/occupancy"), dashboard),
    ("api-docs.openapi_json", "GET"): ApiRule(fixed("/openapi.json"), lambda role, own: 200),
    ("api_tasks.list_tasks", "GET"): ApiRule(fixed("/tasks"), for_roles(READERS)),
    ("api_tasks.claim_task", "POST"): ApiRule(task_url("/claim"), on_case(LANE)),
    ("api_tasks.complete", "POST"): ApiRule(
        task_url("/complete"), signed_in(422), lambda own: {"note": "form data, not JSON"}
    ),
    ("api_cases.index", "GET"): ApiRule(fixed("/cases"), for_roles(READERS)),
    ("api_cases.export", "GET"): ApiRule(fixed("/cases/export?format=xlsx"), for_roles(CASE_EXPORTERS)),
    ("api_cases.open_case", "POST"): ApiRule(
        fixed("/cases"), signed_in(422), lambda own: {"centre": "kc-test" if own else "kc-other"}
    ),
    ("api_cases.show", "GET"): ApiRule(case_url(), on_case(READERS)),
    ("api_repair.show", "GET"): ApiRule(case_url("/repair"), on_repair),
    ("api_repair.suspend", "POST"): ApiRule(
        case_url("/suspend"), signed_in(422), lambda own: {"reason": "x"}
    ),
    ("api_repair.resume", "POST"): ApiRule(case_url("/resume"), signed_in(422), lambda own: {"reason": "x"}),
    ("api_repair.move", "POST"): ApiRule(case_url("/move"), signed_in(422), lambda own: {"reason": "x"}),
    ("api_repair.cancel_timer", "POST"): ApiRule(
        case_url("/deadlines/1/cancel"), signed_in(422), lambda own: {"reason": "x"}
    ),
    ("api_cases.audit", "GET"): ApiRule(case_url("/audit"), on_case(AUDIT_READERS)),
    ("api_case_file.list_notes", "GET"): ApiRule(case_url("/notes"), on_case(READERS)),
    ("api_case_file.add_note", "POST"): ApiRule(
        case_url("/notes"), signed_in(422), lambda own: {"kind": "contact", "body": "form data, not JSON"}
    ),
    # Every field of a change is optional: a form body changes nothing, and no note exists in the world.
    ("api_case_file.edit_note", "PATCH"): ApiRule(
        case_url("/notes/no-such-note"), signed_in(404), lambda own: {"body": "form data, not JSON"}
    ),
    ("api_case_file.list_attachments", "GET"): ApiRule(case_url("/attachments"), on_case(READERS)),
    ("api_case_file.attach", "POST"): ApiRule(
        case_url("/attachments"),
        on_case(READERS, ok=201),
        lambda own: {"kind": "referral", "file": (BytesIO(documents.png()), "referral.png")},
    ),
    ("api_case_file.download", "GET"): ApiRule(fixed("/attachments/no-such-document"), signed_in(404)),
    ("api_documents.list_documents", "GET"): ApiRule(case_url("/documents"), on_case(READERS)),
    # A form body is not the JSON the endpoint reads: refused before anything else for everyone signed in.
    ("api_documents.generate", "POST"): ApiRule(
        case_url("/documents"), signed_in(422), lambda own: {"kind": "progress_note"}
    ),
    ("api_documents.download", "GET"): ApiRule(fixed("/documents/no-such-document"), signed_in(404)),
    # The fixture pathway waits for no message: 409 with the reason for those who read the case.
    ("api_cases.message", "POST"): ApiRule(case_url("/messages/court_decision"), on_case(READERS, ok=409)),
    ("api_pathways.list_pathways", "GET"): ApiRule(fixed("/pathways"), signed_in(200)),
    ("api_pathways.upload_pathway", "POST"): ApiRule(
        fixed("/pathways"),
        for_roles(PATHWAY_EDITORS, ok=201),
        lambda own: {"file": (BytesIO(mini_pathway()), "mini.bpmn")},
    ),
    # The studio: the fixture pathway is crisis_centre_adult, used by both centres; it has no draft, and
    # the matrix sends form data, which the XML and JSON bodies refuse before any service runs.
    ("api_studio.get_draft", "GET"): ApiRule(fixed(f"{P}/draft"), for_roles(STUDIO, ok=404)),
    ("api_studio.put_draft", "PUT"): ApiRule(fixed(f"{P}/draft"), signed_in(415)),
    ("api_studio.open_as_draft", "POST"): ApiRule(fixed(f"{P}/versions/1/draft"), for_roles(PATHWAY_EDITORS)),
    ("api_studio.list_versions", "GET"): ApiRule(fixed(f"{P}/versions"), for_roles(STUDIO)),
    ("api_studio.version_bpmn", "GET"): ApiRule(fixed(f"{P}/versions/1/bpmn"), for_roles(STUDIO)),
    ("api_studio.simulate", "POST"): ApiRule(fixed(f"{P}/draft/simulate"), signed_in(415)),
    ("api_studio.run_tests", "POST"): ApiRule(fixed(f"{P}/draft/test"), for_roles(PATHWAY_EDITORS, ok=404)),
    ("api_studio.draft_scenarios", "GET"): ApiRule(fixed(f"{P}/draft/scenarios"), for_roles(STUDIO)),
    ("api_studio.save_draft_scenario", "PUT"): ApiRule(fixed(f"{P}/draft/scenarios/s1"), signed_in(415)),
    ("api_studio.diff", "GET"): ApiRule(fixed(f"{P}/diff?from=1&to=1"), for_roles(STUDIO)),
    ("api_studio.deploy", "POST"): ApiRule(fixed(f"{P}/draft/deploy"), signed_in(422)),
    ("api_studio.check_expression", "POST"): ApiRule(fixed("/pathways/check-expression"), signed_in(422)),
    ("api_studio.list_approvals", "GET"): ApiRule(fixed("/pathway-approvals"), for_roles(STUDIO)),
    ("api_studio.get_approval", "GET"): ApiRule(fixed("/pathway-approvals/1"), for_roles(STUDIO, ok=404)),
    ("api_studio.approval_bpmn", "GET"): ApiRule(
        fixed("/pathway-approvals/1/bpmn"), for_roles(STUDIO, ok=404)
    ),
    ("api_studio.decide", "POST"): ApiRule(fixed("/pathway-approvals/1"), signed_in(422)),
    ("api_migrations.plan", "POST"): ApiRule(fixed(f"{P}/migrations"), signed_in(422)),
    ("api_migrations.progress", "GET"): ApiRule(fixed("/migrations/1"), signed_in(404)),
    ("api_migrations.approve", "POST"): ApiRule(fixed("/migrations/1/approve"), signed_in(404)),
    ("api_migrations.run", "POST"): ApiRule(fixed("/migrations/1/run"), signed_in(404)),
    ("api_migrations.revert", "POST"): ApiRule(fixed("/migrations/1/revert"), signed_in(404)),
    # The form builder: form data is not JSON (415) before any permission; reads for the studio's readers.
    ("api_forms.list_forms", "GET"): ApiRule(fixed("/forms"), for_roles(STUDIO)),
    ("api_forms.get_draft", "GET"): ApiRule(fixed("/forms/review/draft"), for_roles(STUDIO)),
    ("api_forms.put_draft", "PUT"): ApiRule(fixed("/forms/review/draft"), signed_in(415)),
    ("api_forms.preview", "GET"): ApiRule(fixed("/forms/review/preview"), for_roles(STUDIO)),
    ("api_forms.live_preview", "POST"): ApiRule(fixed("/forms/review/preview"), signed_in(415)),
}

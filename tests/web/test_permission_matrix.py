"""Every route, as every role, on a case of the user's own centre and of another centre.

The routes come from ``app.url_map``: a route without a rule here fails the test, so nobody adds a
page without deciding who may use it. Each call runs in its own savepoint, rolled back afterwards,
so every call sees the same fresh world (an open case per centre, its first task unclaimed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Set
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.casework import deadlines
from engine.people.permissions import (
    ADMINS,
    AUDIT_READERS,
    CASE_EXPORTERS,
    CASE_REPAIRERS,
    CENTRE_DASHBOARD,
    DOCUMENT_WRITERS,
    INCIDENT_HANDLERS,
    INTAKE_ROLES,
    PATHWAY_APPROVERS,
    PATHWAY_EDITORS,
    REASSIGNERS,
    ROOM_EDITORS,
    STATISTICS_READERS,
    SUBJECT_REQUEST_HANDLERS,
    TEAM_DASHBOARD,
)
from engine.people.permissions import CASE_READERS as READERS
from tests import documents
from tests.engine.conftest import mini_pathway
from tests.web.conftest import ROLE_CODES, WebWorld, login, username
from web import health

# Who may do what is the engine's declaration (engine/people/roles.py, checked against a hand-written
# table in tests/engine/people/test_role_declaration.py); what each route answers them is this file's.
LANE = {"social_worker"}  # the role of the fixture pathway's first task (tests/fixtures/mini.bpmn)
ANON = None
STUDIO = PATHWAY_EDITORS | PATHWAY_APPROVERS
STUDIO_PATH = "/pathways/crisis_centre_adult"
LOGIN = 302  # a page asked for by nobody signed in sends them to the sign-in page
Role = str | None


@dataclass(frozen=True)
class Rule:
    path: Callable[[WebWorld, bool], str]
    expect: Callable[[Role, bool], int]
    data: Callable[[bool], dict[str, Any]] | None = None


def signed_in(status: int) -> Callable[[Role, bool], int]:
    return lambda role, own: LOGIN if role is ANON else status


def for_roles(allowed: Set[str], ok: int = 200, refused: int = 403) -> Callable[[Role, bool], int]:
    return lambda role, own: LOGIN if role is ANON else ok if role in allowed else refused


def on_case(allowed: Set[str], ok: int, refused: int = 403) -> Callable[[Role, bool], int]:
    """Another centre's case does not exist for the user (404); nor for roles that may not read cases."""

    def expect(role: Role, own: bool) -> int:
        if role is ANON:
            return LOGIN
        if not own or role not in READERS:
            return 404
        return ok if role in allowed else refused

    return expect


def on_incident(role: Role, own: bool) -> int:
    """Retrying: coordinators may, without reading the case; for those with neither right it does not exist.

    The world's cases are running, not stopped: an allowed retry reaches the service and gets 409.
    """
    if role is ANON:
        return LOGIN
    if not own or role not in READERS | INCIDENT_HANDLERS:
        return 404
    return 409 if role in INCIDENT_HANDLERS else 403


def on_repair(ok: int) -> Callable[[Role, bool], int]:
    """Repairing: the centre's coordinators and managers, without reading the case; for those with neither
    right the case does not exist (404), as for retrying."""

    def expect(role: Role, own: bool) -> int:
        if role is ANON:
            return LOGIN
        if not own or role not in READERS | CASE_REPAIRERS:
            return 404
        return ok if role in CASE_REPAIRERS else 403

    return expect


REASON = {"reason": "Настанена в болница за две седмици."}


def own_notification_only(role: Role, own: bool) -> int:
    """Only the own centre's manager has the own notification; anybody else's does not exist (404)."""
    if role is ANON:
        return LOGIN
    return 302 if own and role == "manager" else 404


def administered(ok: int, other: int) -> Callable[[Role, bool], int]:
    """Admin actions: allowed in the administrator's own centre, refused for another centre."""
    return lambda role, own: LOGIN if role is ANON else 403 if role not in ADMINS else ok if own else other


def notification_url(suffix: str) -> Callable[[WebWorld, bool], str]:
    return lambda w, own: f"/notifications/{w.own_notification if own else w.other_notification}{suffix}"


def case_url(suffix: str = "") -> Callable[[WebWorld, bool], str]:
    return lambda w, own: f"/cases/{w.own_case if own else w.other_case}{suffix}"


def task_url(suffix: str = "") -> Callable[[WebWorld, bool], str]:
    return lambda w, own: f"/tasks/{w.own_task if own else w.other_task}{suffix}"


def fixed(path: str) -> Callable[[WebWorld, bool], str]:
    return lambda w, own: path


def centre_url(pattern: str) -> Callable[[WebWorld, bool], str]:
    return lambda w, own: pattern.format("kc-test" if own else "kc-other")


def on_centre(allowed: Set[str]) -> Callable[[Role, bool], int]:
    """A centre where the user has no role does not exist for them (404); in theirs, by role."""
    return lambda role, own: LOGIN if role is ANON else 404 if not own else 200 if role in allowed else 403


DASHBOARD_READERS = CENTRE_DASHBOARD | TEAM_DASHBOARD
NO_ROOM = 2147483647  # no room nor place has this id: for whoever may edit rooms it is not found


def on_rooms(ok: int) -> Callable[[Role, bool], int]:
    """The rooms page and its forms: managers and administrators of the centre; another centre, and
    a room or place that is not there, do not exist (404)."""
    return lambda role, own: (
        LOGIN if role is ANON else 404 if not own else ok if role in ROOM_EDITORS else 403
    )


NOTE = {"f_note": "Първа среща.", "f_risk": "low"}

RULES: dict[tuple[str, str], Rule] = {
    ("static", "GET"): Rule(fixed("/static/casepath.css"), lambda role, own: 200),
    ("health.healthz", "GET"): Rule(fixed("/healthz"), lambda role, own: 200),
    ("auth.home", "GET"): Rule(fixed("/"), lambda role, own: 302),
    ("auth.no_access", "GET"): Rule(fixed("/no-access"), signed_in(200)),
    ("auth.login", "GET"): Rule(fixed("/login"), lambda role, own: 200 if role is ANON else 302),
    ("auth.login", "POST"): Rule(
        fixed("/login"), lambda role, own: 401, lambda own: {"username": "nobody", "password": "wrong"}
    ),
    ("auth.logout", "POST"): Rule(fixed("/logout"), lambda role, own: 302),
    ("auth.change_password", "GET"): Rule(fixed("/account/password"), signed_in(200)),
    # A wrong current password is refused for everyone (the form again, 422): nobody changes a password
    # without knowing it, and only their own.
    ("auth.change_password", "POST"): Rule(
        fixed("/account/password"),
        signed_in(422),
        lambda own: {"current_password": "not the password", "new_password": "quiet river lantern 42"},
    ),
    ("auth.language", "POST"): Rule(fixed("/language"), lambda role, own: 302, lambda own: {"locale": "en"}),
    ("inbox.index", "GET"): Rule(fixed("/inbox"), for_roles(READERS)),
    ("inbox.claim", "POST"): Rule(task_url("/claim"), on_case(LANE, 302)),
    ("inbox.unclaim", "POST"): Rule(task_url("/unclaim"), on_case(LANE | REASSIGNERS, 302)),
    ("inbox.reassign", "POST"): Rule(
        task_url("/reassign"),
        on_case(REASSIGNERS, 302),
        lambda own: {"assignee": username("social_worker", own)},
    ),
    ("inbox.save_filter", "POST"): Rule(
        fixed("/inbox/filters"),
        for_roles(READERS, ok=302),
        lambda own: {"name": "Просрочени", "due": "overdue"},
    ),
    # Saved filters are their owner's alone: nobody in the world has one, so none exists for anybody.
    ("inbox.delete_filter", "POST"): Rule(fixed("/inbox/filters/2147483647/delete"), signed_in(404)),
    ("inbox.team_workload", "GET"): Rule(fixed("/inbox/workload"), for_roles(REASSIGNERS)),
    ("task.comment", "POST"): Rule(
        task_url("/comments"), on_case(READERS, 302), lambda own: {"body": "Обадих се на майката."}
    ),
    # Only the holder sets a follow-up date; the world's first task is unclaimed, so nobody holds it.
    ("task.follow_up", "POST"): Rule(
        task_url("/follow-up"), on_case(frozenset(), 302), lambda own: {"follow_up_on": "2030-01-01"}
    ),
    ("task.show", "GET"): Rule(task_url(), on_case(READERS, 200)),
    ("task.complete", "POST"): Rule(task_url("/complete"), on_case(LANE, 302), lambda own: NOTE),
    ("task.draft", "POST"): Rule(task_url("/draft"), on_case(LANE, 302), lambda own: NOTE),
    ("cases.index", "GET"): Rule(fixed("/cases"), for_roles(READERS)),
    ("cases.export_csv", "GET"): Rule(fixed("/cases/export.csv?status=all"), for_roles(CASE_EXPORTERS)),
    ("cases.export_xlsx", "GET"): Rule(fixed("/cases/export.xlsx?status=all"), for_roles(CASE_EXPORTERS)),
    ("cases.show", "GET"): Rule(case_url(), on_case(READERS, 200)),
    ("cases.diagram", "GET"): Rule(case_url("/diagram.bpmn"), on_case(READERS, 200)),
    # The fixture pathway does not wait for "risk_changed" at its first task: 422 for those who may ask.
    ("cases.signal", "POST"): Rule(
        case_url("/signal"), on_case(READERS, 422), lambda own: {"signal": "risk_changed"}
    ),
    # ... nor for a message: the reason is flashed and the case page shown again.
    ("cases.message", "POST"): Rule(case_url("/messages/court_decision"), on_case(READERS, 302)),
    ("cases.retry", "POST"): Rule(case_url("/retry"), on_incident),
    ("case_file.add_note", "POST"): Rule(
        case_url("/notes"), on_case(READERS, 302), lambda own: {"kind": "contact", "body": "Среща."}
    ),
    # No note exists in the world: for those who may read the case, it is simply not found.
    ("case_file.edit_note", "POST"): Rule(
        case_url("/notes/no-such-note"), on_case(READERS, 404), lambda own: {"kind": "contact", "body": "x"}
    ),
    ("case_file.attach", "POST"): Rule(
        case_url("/attachments"),
        on_case(READERS, 302),
        lambda own: {"kind": "referral", "file": (BytesIO(documents.png()), "referral.png")},
    ),
    ("case_file.download", "GET"): Rule(fixed("/attachments/no-such-document"), signed_in(404)),
    ("case_file.preview", "GET"): Rule(fixed("/attachments/no-such-document/preview"), signed_in(404)),
    # The fixture pathway has no completed source form: the reason is flashed and the case page shown.
    ("documents.generate", "POST"): Rule(
        case_url("/documents"), on_case(DOCUMENT_WRITERS, 302), lambda own: {"kind": "progress_note"}
    ),
    ("documents.download", "GET"): Rule(fixed("/documents/no-such-document"), signed_in(404)),
    ("cases.close", "POST"): Rule(
        case_url("/close"), on_case(REASSIGNERS, 302), lambda own: {"reason": "Напусна по свое желание."}
    ),
    ("incidents.index", "GET"): Rule(fixed("/incidents"), for_roles(INCIDENT_HANDLERS)),
    ("repair.show", "GET"): Rule(case_url("/repair"), on_repair(200)),
    ("repair.find", "GET"): Rule(fixed("/repair?number=KC-TEST-1999-0001"), signed_in(404)),
    ("repair.suspend", "POST"): Rule(case_url("/repair/suspend"), on_repair(302), lambda own: REASON),
    # The world's case runs: resuming it, moving it to no step, cancelling no timer name the field (422).
    ("repair.resume", "POST"): Rule(case_url("/repair/resume"), on_repair(422), lambda own: REASON),
    ("repair.move", "POST"): Rule(
        case_url("/repair/move"), on_repair(422), lambda own: {**REASON, "element_id": "no_such_step"}
    ),
    ("repair.cancel_timer", "POST"): Rule(
        case_url("/repair/deadlines/999999/cancel"), on_repair(422), lambda own: REASON
    ),
    ("dashboard.index", "GET"): Rule(fixed("/dashboard"), for_roles(DASHBOARD_READERS)),
    ("dashboard.charts_json", "GET"): Rule(
        centre_url("/dashboard/{}/charts.json"), on_centre(DASHBOARD_READERS)
    ),
    ("dashboard.centre_places", "GET"): Rule(centre_url("/centres/{}/places"), on_centre(DASHBOARD_READERS)),
    ("rooms.index", "GET"): Rule(centre_url("/centres/{}/rooms"), on_rooms(200)),
    ("rooms.add_room", "POST"): Rule(
        centre_url("/centres/{}/rooms"), on_rooms(302), lambda own: {"name": "Стая 9", "family": "yes"}
    ),
    ("rooms.change_room", "POST"): Rule(
        centre_url(f"/centres/{{}}/rooms/{NO_ROOM}"), on_rooms(404), lambda own: {"name": "Стая 8"}
    ),
    ("rooms.remove_room", "POST"): Rule(centre_url(f"/centres/{{}}/rooms/{NO_ROOM}/remove"), on_rooms(404)),
    ("rooms.add_place", "POST"): Rule(
        centre_url(f"/centres/{{}}/rooms/{NO_ROOM}/places"),
        on_rooms(404),
        lambda own: {"label": "9а", "occupant": "any"},
    ),
    ("rooms.change_place", "POST"): Rule(
        centre_url(f"/centres/{{}}/places/{NO_ROOM}"),
        on_rooms(404),
        lambda own: {"label": "9а", "occupant": "any"},
    ),
    ("rooms.remove_place", "POST"): Rule(centre_url(f"/centres/{{}}/places/{NO_ROOM}/remove"), on_rooms(404)),
    # Linking a family: the intake roles of the case's centre; the world has no case of that number.
    ("cases.link_family", "POST"): Rule(
        case_url("/family"), on_case(INTAKE_ROLES, 422), lambda own: {"number": "KC-TEST-1900-0001"}
    ),
    ("notifications.index", "GET"): Rule(fixed("/notifications"), signed_in(200)),
    ("notifications.read", "POST"): Rule(notification_url("/read"), own_notification_only),
    ("notifications.read_all", "POST"): Rule(fixed("/notifications/read-all"), signed_in(302)),
    ("notifications.show_preferences", "GET"): Rule(fixed("/notifications/preferences"), signed_in(200)),
    ("notifications.save_preferences", "POST"): Rule(
        fixed("/notifications/preferences"), signed_in(302), lambda own: {"email": "task.assigned"}
    ),
    ("cases.audit", "GET"): Rule(case_url("/audit"), on_case(AUDIT_READERS, 200)),
    ("statistics.index", "GET"): Rule(
        centre_url("/statistics?month=2025-08&centre={}"), on_centre(STATISTICS_READERS)
    ),
    ("statistics.export_csv", "GET"): Rule(
        centre_url("/statistics.csv?month=2025-08&centre={}"), on_centre(STATISTICS_READERS)
    ),
    ("subject.person_json", "GET"): Rule(case_url("/person.json"), on_case(SUBJECT_REQUEST_HANDLERS, 200)),
    ("subject.person_pdf", "GET"): Rule(case_url("/person.pdf"), on_case(SUBJECT_REQUEST_HANDLERS, 200)),
    ("subject.viewers", "GET"): Rule(case_url("/viewers"), on_case(SUBJECT_REQUEST_HANDLERS, 200)),
    ("subject.viewers_pdf", "GET"): Rule(case_url("/viewers.pdf"), on_case(SUBJECT_REQUEST_HANDLERS, 200)),
    ("cases.audit_csv", "GET"): Rule(case_url("/audit.csv"), on_case(AUDIT_READERS, 200)),
    ("intake.new", "GET"): Rule(fixed("/intake"), for_roles(INTAKE_ROLES)),
    ("intake.create", "POST"): Rule(
        fixed("/intake"),
        lambda role, own: LOGIN if role is ANON else 302 if own and role in INTAKE_ROLES else 403,
        lambda own: {
            "centre": "kc-test" if own else "kc-other",
            "display_name": "Нов Човек",
            "legal_basis": "urgent",
            "target_group": "domestic_violence",
        },
    ),
    ("pathways.index", "GET"): Rule(fixed("/pathways"), for_roles(PATHWAY_EDITORS)),
    ("pathways.upload", "POST"): Rule(
        fixed("/pathways"),
        for_roles(PATHWAY_EDITORS, ok=302),
        lambda own: {"file": (BytesIO(mini_pathway()), "mini.bpmn")},
    ),
    # The studio: coordinators edit, managers read to approve; the fixture pathway has no approval 1.
    ("studio.edit", "GET"): Rule(fixed(f"{STUDIO_PATH}/edit"), for_roles(PATHWAY_EDITORS)),
    ("studio.versions", "GET"): Rule(fixed(f"{STUDIO_PATH}/versions"), for_roles(STUDIO)),
    ("studio.open_as_draft", "POST"): Rule(
        fixed(f"{STUDIO_PATH}/versions/1/draft"), for_roles(PATHWAY_EDITORS, ok=302)
    ),
    ("studio.diff", "GET"): Rule(fixed(f"{STUDIO_PATH}/diff?from=1&to=1"), for_roles(STUDIO)),
    ("studio.approvals", "GET"): Rule(fixed("/pathway-approvals"), for_roles(STUDIO)),
    ("studio.approval", "GET"): Rule(fixed("/pathway-approvals/1"), for_roles(STUDIO, ok=404)),
    ("studio.decide", "POST"): Rule(
        fixed("/pathway-approvals/1"), signed_in(404), lambda own: {"decision": "approve", "reason": "x"}
    ),
    # Migrating running cases: coordinators plan and execute; the fixture has no batch 1.
    ("migrations.plan", "GET"): Rule(fixed(f"{STUDIO_PATH}/migrate"), for_roles(PATHWAY_EDITORS)),
    ("migrations.execute", "POST"): Rule(fixed(f"{STUDIO_PATH}/migrate"), for_roles(PATHWAY_EDITORS, ok=302)),
    ("migrations.batch", "GET"): Rule(fixed("/migrations/1"), signed_in(404)),
    ("migrations.run", "POST"): Rule(fixed("/migrations/1/run"), signed_in(404)),
    ("migrations.approve", "POST"): Rule(fixed("/migrations/1/approve"), signed_in(404)),
    ("migrations.revert", "POST"): Rule(fixed("/migrations/1/revert"), signed_in(404)),
    # The form builder: coordinators of any centre (the API lets managers read drafts too).
    ("form_builder.index", "GET"): Rule(fixed("/forms"), for_roles(PATHWAY_EDITORS)),
    ("form_builder.new", "GET"): Rule(fixed("/forms/new?key=a_new_form"), for_roles(PATHWAY_EDITORS, ok=302)),
    ("form_builder.edit", "GET"): Rule(fixed("/forms/review/edit"), for_roles(PATHWAY_EDITORS)),
    ("admin.index", "GET"): Rule(fixed("/admin"), for_roles(ADMINS)),
    # An administrator manages only the centres it administers: another centre is refused (422 on the
    # form, naming the centre), and its people do not exist for it (404).
    ("admin.create_user", "POST"): Rule(
        fixed("/admin/users"),
        administered(ok=302, other=422),
        lambda own: {
            "username": "new-person",
            "password": "long enough password",
            "centre": "kc-test" if own else "kc-other",
            "role": "psychologist",
        },
    ),
    ("admin.set_active", "POST"): Rule(
        lambda w, own: f"/admin/users/{username('psychologist', own)}/active",
        administered(ok=302, other=404),
        lambda own: {"active": "no", "confirm": "yes"},
    ),
    ("admin.rename", "POST"): Rule(
        lambda w, own: f"/admin/users/{username('psychologist', own)}/name",
        administered(ok=302, other=404),
        lambda own: {"display_name": "Нов Психолог"},
    ),
    # The psychologist's only role is never removed (422); another centre is not the admin's (422).
    ("admin.remove_role", "POST"): Rule(
        lambda w, own: f"/admin/users/{username('psychologist', own)}/roles/remove",
        administered(ok=422, other=422),
        lambda own: {"centre": "kc-test" if own else "kc-other"},
    ),
    ("admin.reset_password", "POST"): Rule(
        lambda w, own: f"/admin/users/{username('psychologist', own)}/password",
        administered(ok=200, other=404),
    ),
    ("admin.update_centre", "POST"): Rule(
        lambda w, own: f"/admin/centres/{'kc-test' if own else 'kc-other'}",
        administered(ok=302, other=404),
        lambda own: {"name": "КЦ Променен", "capacity": "14"},
    ),
    ("admin.grant_role", "POST"): Rule(
        fixed("/admin/roles"),
        administered(ok=302, other=422),
        lambda own: {
            "grant_username": username("psychologist", own),
            "grant_centre": "kc-test" if own else "kc-other",
            "grant_role": "educator",
        },
    ),
    ("admin.create_centre", "POST"): Rule(
        fixed("/admin/centres"),
        for_roles(ADMINS, ok=302),
        lambda own: {"code": "kc-new", "name": "КЦ Нов", "kind": "crisis_centre", "capacity": "8"},
    ),
}


try:  # the JSON API's rules (``/api/v1``) are kept by its authors next to their tests
    from tests.web.api_matrix_rules import API_RULES
except ModuleNotFoundError:  # pragma: no cover - until the API has rules, its routes fail the check
    API_RULES = {}
RULES.update(API_RULES)


def routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((rule.endpoint, method))
    return found


def test_every_route_has_a_rule(app: Flask) -> None:
    missing = sorted(routes(app) - set(RULES))
    assert not missing, f"routes without a permission rule in {__name__}: {missing}"
    stale = sorted(set(RULES) - routes(app))
    assert not stale, f"rules for routes that no longer exist: {stale}"


@pytest.mark.slow
def test_permission_matrix(app: Flask, world: WebWorld, services: Any) -> None:
    app.config["CASEPATH_LOGIN_LIMIT"] = "10000 per minute"
    # A sweep has just run (on the world's frozen clock): /healthz answers 200 however long the matrix
    # takes, instead of 503 once the app is more than 90 s old with no sweep seen (a busy machine).
    with services.uow() as uow:
        deadlines.record_sweep(uow, 0, 0, "embedded")
        uow.commit()
    connection = services.session_factory.kw["bind"]
    clients: dict[Role, FlaskClient] = {ANON: app.test_client()}
    for role in ROLE_CODES:
        clients[role] = app.test_client()
        login(clients[role], username(role))
    failures = []
    for (endpoint, method), rule in sorted(RULES.items()):
        if (endpoint, method) not in routes(app):
            continue
        # /healthz counts a missing sweep against the app after a grace period from its start; the
        # matrix checks who may call what, and its hundreds of calls outlast that grace.
        app.extensions[health.STARTED] = time.monotonic()
        for role, client in clients.items():
            for own in (True, False):
                expected = rule.expect(role, own)
                status = call(
                    client, connection, method, rule.path(world, own), rule.data(own) if rule.data else None
                )
                if status != expected:
                    failures.append(
                        f"{method} {endpoint} as {role or 'anonymous'} "
                        f"({'own' if own else 'other'} centre): {status}, expected {expected}"
                    )
    assert not failures, "\n".join(failures)


def call(client: FlaskClient, connection: Any, method: str, path: str, data: dict[str, Any] | None) -> int:
    """One request in a savepoint that is rolled back, so the next call sees the same world."""
    savepoint = connection.begin_nested()
    try:
        with client.session_transaction() as session:
            saved = dict(session)
        response = client.open(
            path,
            method=method,
            data=data,
        )
        with client.session_transaction() as session:  # sign-out and language calls must not stick
            session.clear()
            session.update(saved)
        return response.status_code
    finally:
        savepoint.rollback()

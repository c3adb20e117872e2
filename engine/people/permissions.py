"""Who may do what: pure predicates over a principal and the thing acted on. No I/O here.

Services enforce these with :func:`require`; views call the same predicates to decide what to show.
Rules (DOMAIN.md, issue "roles scoped to centres"):

* staff see only cases of centres where they have a casework role;
* a task is claimed and completed by a user whose role in the case's centre is the task's role;
  the case lead and the manager may reassign;
* coordinators manage pathways, and deploy only pathways that a centre they coordinate uses;
  managers see every case and the audit of their centre;
* administrators manage users and centres but never open case content (separation of duties): they
  manage only the centres they administer and never grant a role to themselves;
* a task is completed (or its draft saved) only by the colleague who holds it, or, while nobody
  holds it, by anyone of its role in its centre;
* the confidential address of a centre is shown only to that centre's staff.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from engine.errors import PermissionDenied
from engine.people.roles import codes_where

# Who may do what, by role code: derived from the capabilities declared in ``engine.people.roles``.
CASE_READERS = codes_where(lambda role: role.reads_cases)
INTAKE_ROLES = codes_where(lambda role: role.may_intake)
REASSIGNERS = codes_where(lambda role: role.leads_cases)
INCIDENT_HANDLERS = codes_where(lambda role: role.handles_incidents)
CASE_REPAIRERS = codes_where(lambda role: role.repairs_cases)
AUDIT_READERS = codes_where(lambda role: role.reads_audit)
PATHWAY_EDITORS = codes_where(lambda role: role.edits_pathways)
PATHWAY_APPROVERS = codes_where(lambda role: role.approves_pathway_changes)
ADMINS = codes_where(lambda role: role.administers)
THERAPY_NOTE_READERS = codes_where(lambda role: role.reads_therapy_notes)
CENTRE_DASHBOARD = codes_where(lambda role: role.reads_centre_dashboard)
TEAM_DASHBOARD = codes_where(lambda role: role.reads_team_dashboard)
CASE_EXPORTERS = codes_where(lambda role: role.exports_case_list)
DOCUMENT_WRITERS = codes_where(lambda role: role.generates_documents)
ROOM_EDITORS = codes_where(lambda role: role.edits_rooms)
STATISTICS_READERS = codes_where(lambda role: role.reads_statistics)
SUBJECT_REQUEST_HANDLERS = codes_where(lambda role: role.answers_subject_requests)


@dataclass(frozen=True)
class Principal:
    """A signed-in user (or the system) with a role per centre id."""

    user_id: int | None
    name: str
    roles: Mapping[int, str] = field(default_factory=dict)
    ip: str = ""

    def role_in(self, centre_id: int) -> str | None:
        return self.roles.get(centre_id)

    def has_role(self, *roles: str) -> bool:
        return any(role in roles for role in self.roles.values())

    def centres_with(self, roles: frozenset[str]) -> list[int]:
        return sorted(centre for centre, role in self.roles.items() if role in roles)


SYSTEM = Principal(None, "system")


class CaseLike(Protocol):
    @property
    def centre_id(self) -> int: ...


class TaskLike(Protocol):
    @property
    def centre_id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def assignee_id(self) -> int | None: ...

    @property
    def status(self) -> str: ...


def can_view_case(who: Principal, case: CaseLike) -> bool:
    return can_read_cases_of(who, case.centre_id)


def can_read_cases_of(who: Principal, centre_id: int) -> bool:
    return who.role_in(centre_id) in CASE_READERS


def can_open_case(who: Principal, centre_id: int) -> bool:
    return who.role_in(centre_id) in INTAKE_ROLES


def can_claim(who: Principal, task: TaskLike) -> bool:
    return (
        task.status == "open"
        and who.role_in(task.centre_id) == task.role
        and task.assignee_id in (None, who.user_id)
    )


def can_complete(who: Principal, task: TaskLike) -> bool:
    """The holder completes a held task; an unclaimed one, anybody of its role in its centre."""
    held_by_other = task.assignee_id is not None and task.assignee_id != who.user_id
    return task.status == "open" and who.role_in(task.centre_id) == task.role and not held_by_other


def can_reassign(who: Principal, task: TaskLike) -> bool:
    return task.status == "open" and who.role_in(task.centre_id) in REASSIGNERS


def can_signal_case(who: Principal, case: CaseLike) -> bool:
    return can_view_case(who, case)


def can_deliver_message(who: Principal, case: CaseLike, roles: Collection[str]) -> bool:
    """A message is delivered by someone of the case's centre whose role the waiting element names."""
    return can_view_case(who, case) and who.role_in(case.centre_id) in roles


def can_start_routine(who: Principal, centre_id: int) -> bool:
    """A periodic pathway's routine (e.g. the monthly occupancy report) is started by the centre's manager."""
    return who.role_in(centre_id) in AUDIT_READERS


def can_close_case(who: Principal, case: CaseLike) -> bool:
    return who.role_in(case.centre_id) in REASSIGNERS


def can_edit_pathway(who: Principal) -> bool:
    return bool(who.centres_with(PATHWAY_EDITORS))


def can_deploy_pathway(who: Principal, used_by: Collection[int]) -> bool:
    """A coordinator deploys a pathway that one of their centres uses, or one no centre uses yet."""
    coordinated = set(who.centres_with(PATHWAY_EDITORS))
    return bool(coordinated) and (not used_by or bool(coordinated & set(used_by)))


def can_read_studio(who: Principal) -> bool:
    """The studio's versions, drafts and diffs: coordinators (who edit) and managers (who approve)."""
    return bool(who.centres_with(PATHWAY_EDITORS | PATHWAY_APPROVERS))


def can_approve_pathway(who: Principal, used_by: Collection[int], author_id: int | None) -> bool:
    """A manager of a centre using the pathway approves a deploy, never one they asked for themselves."""
    managed = set(who.centres_with(PATHWAY_APPROVERS))
    return bool(managed & set(used_by)) and who.user_id is not None and who.user_id != author_id


def can_retry_incident(who: Principal, case: CaseLike) -> bool:
    return who.role_in(case.centre_id) in INCIDENT_HANDLERS


def can_repair_case(who: Principal, case: CaseLike) -> bool:
    """Suspend, resume, move the token of or cancel a timer of a case: the centre's coordinator, manager."""
    return who.role_in(case.centre_id) in CASE_REPAIRERS


def can_view_incidents(who: Principal) -> bool:
    """Coordinators and managers see the cases of their centres that an error stopped."""
    return bool(who.centres_with(INCIDENT_HANDLERS))


def can_view_audit(who: Principal, centre_id: int) -> bool:
    return who.role_in(centre_id) in AUDIT_READERS


def can_view_address(who: Principal, centre_id: int) -> bool:
    role = who.role_in(centre_id)
    return role is not None and role not in ADMINS


def can_manage_users(who: Principal) -> bool:
    """Whether the user administers any centre (the admin pages); what they manage is per centre."""
    return bool(who.centres_with(ADMINS))


def can_administer(who: Principal, centre_id: int) -> bool:
    return who.role_in(centre_id) in ADMINS


def can_grant_role(who: Principal, user_id: int | None, centre_id: int) -> bool:
    """An administrator grants roles in a centre they administer, to anybody but themselves.

    ``user_id`` is None for an account being created.
    """
    return can_administer(who, centre_id) and (user_id is None or user_id != who.user_id)


def can_manage_account(who: Principal, user_id: int, centre_ids: Collection[int]) -> bool:
    """(De)activating an account: another person whose every centre the administrator administers."""
    return (
        user_id != who.user_id
        and bool(centre_ids)
        and all(can_administer(who, centre) for centre in centre_ids)
    )


def roles_compatible(role: str, other_role: str | None) -> bool:
    """Casework roles and the admin role are never held by one person at the same centre."""
    return other_role is None or (role in ADMINS) == (other_role in ADMINS)


def can_view_task(who: Principal, task: CaseLike) -> bool:
    """A task is part of its case: whoever may read the case may read the task."""
    return can_view_case(who, task)


def can_unclaim(who: Principal, task: TaskLike) -> bool:
    mine = who.user_id is not None and task.assignee_id == who.user_id
    return task.status == "open" and (mine or can_reassign(who, task))


def can_save_draft(who: Principal, task: TaskLike) -> bool:
    return can_complete(who, task)


def can_be_assigned(role_in_centre: str | None, task: TaskLike) -> bool:
    """Whether a user with this role in the task's centre may hold the task (the lane's role)."""
    return role_in_centre == task.role


def can_use_inbox(who: Principal) -> bool:
    return bool(who.centres_with(CASE_READERS))


def can_use_intake(who: Principal) -> bool:
    return bool(who.centres_with(INTAKE_ROLES))


def can_view_case_audit(who: Principal, case: CaseLike) -> bool:
    return can_view_audit(who, case.centre_id)


class NoteLike(Protocol):
    @property
    def visibility(self) -> str: ...

    @property
    def author_id(self) -> int | None: ...


def can_write_note(who: Principal, case: CaseLike, visibility: str) -> bool:
    """Staff who read a case write notes on it; a therapy note only those who read therapy notes."""
    if not can_view_case(who, case):
        return False
    return visibility != "psychologist" or who.role_in(case.centre_id) in THERAPY_NOTE_READERS


def can_read_note(who: Principal, case: CaseLike, note: NoteLike) -> bool:
    """A note for all staff, whoever reads the case; a therapy note, the centre's psychologists only."""
    return can_write_note(who, case, note.visibility)


def can_edit_note(who: Principal, case: CaseLike, note: NoteLike) -> bool:
    """Its author, while they may still read it; the earlier text is kept as a revision."""
    return who.user_id is not None and note.author_id == who.user_id and can_read_note(who, case, note)


def dashboard_scope(who: Principal, centre_id: int) -> str | None:
    """What of a centre's dashboard the user sees: "centre" (all of it), "team" (the cases they
    lead) or None (no dashboard there)."""
    role = who.role_in(centre_id)
    if role in CENTRE_DASHBOARD:
        return "centre"
    if role in TEAM_DASHBOARD:
        return "team"
    return None


def can_view_dashboard(who: Principal, centre_id: int) -> bool:
    return dashboard_scope(who, centre_id) is not None


def can_use_dashboard(who: Principal) -> bool:
    return bool(who.centres_with(CENTRE_DASHBOARD | TEAM_DASHBOARD))


def can_export_case_list(who: Principal) -> bool:
    """Managers export the case list of the centres they manage (and only of those)."""
    return bool(who.centres_with(CASE_EXPORTERS))


def can_generate_documents(who: Principal, case: CaseLike) -> bool:
    """The case's social workers, case leads and managers (of its centre) generate its documents."""
    return can_view_case(who, case) and who.role_in(case.centre_id) in DOCUMENT_WRITERS


def can_edit_rooms(who: Principal, centre_id: int) -> bool:
    """Managers and administrators edit the rooms and places of their centre (taken or free only)."""
    return who.role_in(centre_id) in ROOM_EDITORS


def can_read_statistics(who: Principal, centre_id: int) -> bool:
    return who.role_in(centre_id) in STATISTICS_READERS


def can_use_statistics(who: Principal) -> bool:
    return bool(who.centres_with(STATISTICS_READERS))


def can_answer_subject_request(who: Principal, case: CaseLike) -> bool:
    """The person's file (everything held, who viewed it) is exported by the manager of its centre."""
    return who.role_in(case.centre_id) in SUBJECT_REQUEST_HANDLERS


def require(allowed: bool, message: str = "you may not do this") -> None:
    if not allowed:
        raise PermissionDenied(message)

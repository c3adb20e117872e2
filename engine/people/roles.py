"""Staff roles: stable codes used in data and diagrams, their labels, and what each role may do.

A role's ``label`` is an English message id (marked with ``N_``): the web translates it through the
Babel catalogues. ``lane_bg`` is the Bulgarian name a diagram's lane may carry for the role; it is read
to resolve a lane, never shown (the catalogue's Bulgarian label is).

``ROLES`` is the one declaration of the roles. Every set of roles the engine uses (who may open a case,
who reads the audit, who is told of a new pathway version, ...) is derived from the capabilities
declared here with :func:`codes_where`; a new role is added, or a role given a right, in this table
only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


def N_(text: str) -> str:
    """Marks a message id for the catalogues; translated where it is shown, not here."""
    return text


@dataclass(frozen=True)
class Role:
    """A staff role. Every capability is False unless the role's line in ``ROLES`` says otherwise."""

    code: str
    lane_bg: str  # the Bulgarian name a lane may carry; the Bulgarian outgoing documents print it too
    label: str  # an English message id, translated where it is shown
    # Does casework in a centre: may be named on a task in a diagram (a lane's role).
    casework: bool = False
    # Reads the cases of its centre, their tasks and the inbox.
    reads_cases: bool = False
    # Opens a case (intake) in its centre.
    may_intake: bool = False
    # Leads the centre's cases: reassigns or releases a held task and closes a case.
    leads_cases: bool = False
    # Sees and retries the centre's cases that an error in the diagram stopped.
    handles_incidents: bool = False
    # Reads and writes the therapy notes of the centre's cases (notes for the psychologist only).
    reads_therapy_notes: bool = False
    # Repairs the centre's running cases by hand, each action with a reason: suspends and resumes a case,
    # moves its token to another step of its pathway version, cancels a waiting timer. Sees the case's
    # number, position and dates only, never its content.
    repairs_cases: bool = False
    # Reads the audit trail of the centre and of its cases.
    reads_audit: bool = False
    # Uploads and deploys pathways (those its centres use).
    edits_pathways: bool = False
    # Approves (or rejects) a pathway deploy that changes a clock or a role or removes a step, one that a
    # centre of theirs uses and that somebody else asked for (four eyes); reads the studio to do so.
    approves_pathway_changes: bool = False
    # Administers the centre: its users, their roles and the centre itself, never case content (nor
    # the centre's confidential address). Never held with a casework role at the same centre.
    administers: bool = False
    # Is told (in-app and e-mail) when an escalation task opens in the centre, whoever it is for.
    told_of_escalations: bool = False
    # Is told (in-app and e-mail) of every role granted in the centre by a person.
    told_of_grants: bool = False
    # Is told of every new version of a pathway that the centre runs.
    told_of_deployments: bool = False
    # Lands on the centre's dashboard: occupancy, overdue work of every worker, the charts.
    reads_centre_dashboard: bool = False
    # Lands on the same dashboard limited to the cases they lead (a case lead's team's work).
    reads_team_dashboard: bool = False
    # Exports the centre's case list (CSV, XLSX) with the list's filters; every export is audited.
    exports_case_list: bool = False
    # Generates the outgoing documents of the centre's cases (progress notes, final reports, notices
    # to ДСП and ОЗД) from their completed forms; whoever reads a case reads and downloads them.
    generates_documents: bool = False
    # Edits the centre's rooms and places and their constraints (never who stays on a place).
    edits_rooms: bool = False
    # Reads the centre's anonymised monthly statistics (page, CSV, API) for the municipality and АСП.
    reads_statistics: bool = False
    # Answers a person's data-subject requests: everything held about them, and who viewed their file.
    answers_subject_requests: bool = False


ROLES: tuple[Role, ...] = (
    Role(
        "social_worker",
        "Социален работник",
        N_("Social worker"),
        casework=True,
        reads_cases=True,
        may_intake=True,
        generates_documents=True,
    ),
    Role(
        "psychologist",
        "Психолог",
        N_("Psychologist"),
        casework=True,
        reads_cases=True,
        reads_therapy_notes=True,
    ),
    Role("educator", "Възпитател", N_("Educator"), casework=True, reads_cases=True),
    Role("medical", "Медицински специалист", N_("Medical specialist"), casework=True, reads_cases=True),
    Role(
        "case_lead",
        "Водещ на случая",
        N_("Case lead"),
        casework=True,
        reads_cases=True,
        may_intake=True,
        leads_cases=True,
        reads_team_dashboard=True,
        generates_documents=True,
    ),
    Role(
        "coordinator",
        "Координатор",
        N_("Coordinator"),
        casework=True,
        handles_incidents=True,
        repairs_cases=True,
        edits_pathways=True,
        told_of_deployments=True,
    ),
    Role(
        "manager",
        "Управител",
        N_("Manager"),
        casework=True,
        reads_cases=True,
        may_intake=True,
        leads_cases=True,
        handles_incidents=True,
        repairs_cases=True,
        reads_audit=True,
        told_of_grants=True,
        told_of_escalations=True,
        told_of_deployments=True,
        approves_pathway_changes=True,
        reads_centre_dashboard=True,
        exports_case_list=True,
        generates_documents=True,
        edits_rooms=True,
        reads_statistics=True,
        answers_subject_requests=True,
    ),
    Role("admin", "Администратор", N_("Administrator"), administers=True, edits_rooms=True),
)


def codes_where(capable: Callable[[Role], bool]) -> frozenset[str]:
    """The codes of the roles with a capability, e.g. ``codes_where(lambda role: role.may_intake)``."""
    return frozenset(role.code for role in ROLES if capable(role))


ROLE_CODES = frozenset(role.code for role in ROLES)
# Roles that do casework: they may be named on a task in a diagram.
CASEWORK_ROLES = codes_where(lambda role: role.casework)
# Who hears of what happens in the centre (engine.notify's recipients, by role).
TOLD_OF_GRANTS = codes_where(lambda role: role.told_of_grants)
TOLD_OF_DEPLOYMENTS = codes_where(lambda role: role.told_of_deployments)
TOLD_OF_ESCALATIONS = codes_where(lambda role: role.told_of_escalations)

_BY_NAME = {name.casefold(): role.code for role in ROLES for name in (role.code, role.lane_bg, role.label)}


def resolve_role(name: str) -> str | None:
    """The role code for a code or a label (as a lane may be named), or None."""
    code = _BY_NAME.get(name.strip().casefold())
    return code if code in CASEWORK_ROLES else None


def role_label(code: str) -> str:
    """The role's English message id (the web translates it); an unknown code is returned as it is."""
    return next((role.label for role in ROLES if role.code == code), code)


def role_name_bg(code: str) -> str:
    """The role's Bulgarian name, for the outgoing documents, which are Bulgarian whoever generates them."""
    return next((role.lane_bg for role in ROLES if role.code == code), code)


def resolve_roles(names: Iterable[str]) -> list[str]:
    """Role names (codes or labels) → sorted role codes; unknown names are ignored (the lint reports them)."""
    codes = [resolve_role(name) for name in names if name.strip()]
    return sorted({code for code in codes if code is not None})

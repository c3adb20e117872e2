"""Names of codes (legal bases, target groups, audit actions, signals …) in the reader's language."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.pathways.versions import CATALOGUE
from engine.people.roles import role_label

LEGAL_BASES = {
    "referral": _l("Referral by the social assistance directorate (направление)"),
    "order": _l("Placement order for a child (заповед)"),
    "police": _l("Police protection of a child"),
    "court": _l("Court decision"),
    "urgent": _l("Urgent arrival without a referral"),
    "trafficking_referral": _l("Trafficking victim referral"),
    "walk_in": _l("Walk-in (open access)"),
    "municipality_referral": _l("Referral by the municipality"),
    "self_request": _l("The child's own request"),
    "handover": _l("Handover from another centre"),
    "routine": _l("A periodic routine of the centre"),
}

# The shipped pathways' names (stored in Bulgarian, engine/pathways/versions.py) in the reader's language.
PATHWAY_NAMES = {
    CATALOGUE["crisis_centre_adult"][0]: _l("Crisis centre – adults"),
    CATALOGUE["crisis_centre_child"][0]: _l("Crisis centre – children"),
    CATALOGUE["community_support"][0]: _l("Community support centre – child and family"),
    CATALOGUE["monthly_review"][0]: _l("Monthly plan review (shared)"),
}

TARGET_GROUPS = {
    "domestic_violence": _l("Domestic violence"),
    "trafficking": _l("Trafficking"),
    "exploitation": _l("Other exploitation"),
    "child_at_risk": _l("Child at risk"),
    "other": _l("Other"),
}

# The exit routes of the adult's and the child's exit decisions (workflows/forms/exit_decision.json,
# child_exit_decision.json), for the statistics, which count them even where those forms are not used.
EXIT_ROUTES = {
    "home": _l("Return home"),
    "other_service": _l("Another social service"),
    "protected_home": _l("Protected home"),
    "reintegration_shelter": _l("Reintegration shelter"),
    "reintegration": _l("Family reintegration"),
    "kinship": _l("Kinship care"),
    "foster": _l("Foster care"),
    "residential": _l("Residential care by court decision"),
}

CASE_STATUSES = {
    "open": _l("open"),
    "incident": _l("stopped by an error"),
    "suspended": _l("suspended"),
    "closed": _l("closed"),
}
TASK_STATUSES = {"open": _l("waiting"), "completed": _l("completed"), "cancelled": _l("cancelled")}
CENTRE_KINDS = {
    "crisis_centre": _l("Crisis centre (КЦ)"),
    "community_support": _l("Community support centre (ЦОП)"),
}

SIGNALS = {
    "risk_changed": _l("Risk changed"),
    "violence_disclosed": _l("Violence disclosed"),
}

ACTIONS = {
    "case.open": _l("Case opened"),
    "case.read": _l("Case read"),
    "case.audit_read": _l("Audit of the case read"),
    "case.export": _l("Case list exported"),
    "case.signal": _l("Event reported"),
    "case.message": _l("Message recorded"),
    "case.thrown": _l("The pathway sent a notice"),
    "case.close": _l("Case closed"),
    "case.incident": _l("Pathway stopped by an error"),
    "case.retry": _l("Pathway resumed"),
    "case.migrated": _l("Pathway updated"),
    "case.migration_reverted": _l("Pathway update reverted"),
    "case.suspend": _l("Case suspended"),
    "case.resume": _l("Case resumed"),
    "case.move": _l("Case moved to another step"),
    "deadline.cancel": _l("Timer cancelled"),
    "task.complete": _l("Task completed"),
    "task.claim": _l("Task taken"),
    "task.unclaim": _l("Task released"),
    "task.reassign": _l("Task reassigned"),
    "task.draft": _l("Draft saved"),
    "task.comment": _l("Comment on a task"),
    "task.follow_up": _l("Follow-up date set"),
    "deadline.fired": _l("Deadline reached"),
    "escalation": _l("Escalated"),
    "note.add": _l("Note written"),
    "note.edit": _l("Note changed"),
    "note.contact": _l("Note: contact"),
    "note.phone_call": _l("Note: phone call"),
    "note.incident": _l("Note: incident at the centre"),
    "note.other": _l("Note"),
    "attachment.add": _l("Document attached"),
    "attachment.download": _l("Document downloaded"),
    "attachment.preview": _l("Document preview seen"),
    "document.generate": _l("Outgoing document generated"),
    "document.download": _l("Outgoing document downloaded"),
    "case.link": _l("Linked case opened"),
    "case.family": _l("Family case linked"),
    "case.operation": _l("Pathway operation"),
    "case.outside_notice": _l("Notice to an outside body"),
    "case.subject_export": _l("Everything held about the person exported"),
    "case.viewers_report": _l("Who viewed the file reported to the person"),
    "case.pseudonymise": _l("Case pseudonymised after the retention period"),
    "statistics.export": _l("Statistics exported"),
}

NOTE_KINDS = {
    "contact": _l("Contact"),
    "phone_call": _l("Phone call"),
    "incident": _l("Incident at the centre"),
    "other": _l("Other"),
}

NOTE_VISIBILITIES = {
    "staff": _l("All staff of the centre who work on the case"),
    "psychologist": _l("The psychologist only (therapy note)"),
}

ATTACHMENT_KINDS = {
    "referral": _l("Referral or order"),
    "order": _l("Placement order"),
    "court_decision": _l("Court decision"),
    "medical_report": _l("Medical report"),
    "other": _l("Other document"),
}


# What stopped a case (engine/bpmn/run_problems.py: the same codes, the English texts as msgids).
INCIDENT_PROBLEMS = {
    "expression": _l("An expression or script failed while the case ran."),
    "unknown_name": _l("An expression uses a name the case does not have (yet)."),
    "unreadable_value": _l("An expression could not convert a value of the case (to a number or a date)."),
    "wrong_kind": _l("An expression got a value of the wrong kind (text, number, list, date)."),
    "missing_item": _l("An expression looked up a key or a position that the value does not have."),
    "too_large": _l("An expression produced a value that is too large."),
    "division_by_zero": _l("An expression divided by zero."),
    "engine": _l("The workflow engine could not continue at this element."),
    "loop": _l("The diagram loops without a gateway."),
    "step_budget": _l("The run took more steps than allowed: the diagram probably loops without end."),
    "time_budget": _l("The run took longer than allowed."),
    "task_cap": _l("The case created more tasks in a day than allowed."),
    "notification_cap": _l("The case sent more notifications in a day than allowed."),
    "due_date": _l("The due date of a task could not be computed from its expression."),
    "short_cycle": _l("A repeating timer repeats more often than allowed."),
    "uncaught_error": _l("The pathway threw an error that no boundary event or event sub-process catches."),
    "stuck": _l("Only an event that may never come could move the case on: no task and no deadline waits."),
    "operation_unbound": _l("A service task was reached where no Casepath operation can run."),
    "unknown_operation": _l("A service task names an operation that Casepath does not have."),
    "operation_input": _l("The operation lacks case data it needs (see the service task's operation)."),
    "no_such_centre": _l("The centre chosen for the linked case does not exist."),
    "wrong_centre_kind": _l("The centre chosen for the linked case is not a crisis centre."),
    "decision_not_unique": _l(
        "More than one rule of a UNIQUE decision table matched the case: correct the table."
    ),
    "decision_conflict": _l(
        "Rules of an ANY decision table matched the case with different outputs: correct the table."
    ),
}


def label(table: dict[str, object], code: str) -> str:
    value = table.get(code)
    return str(value) if value is not None else code


def role_name(code: str) -> str:
    """A role's label in the reader's language (engine/people/roles.py declares the English msgid)."""
    return str(gettext(role_label(code)))

"""Marshmallow schemas of the API: what comes in is validated here, what goes out is documented here.

Instants go out as ISO 8601 in Sofia time with their offset (``2025-08-31T10:00:00+03:00``); dates as
``YYYY-MM-DD``. Ids are the opaque public ids, never database keys.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_dump, validate

from engine.casework import notes
from engine.casework.attachments import KINDS as ATTACHMENT_KINDS
from engine.casework.cases import LEGAL_BASES, TARGET_GROUPS
from engine.casework.family import MAX_CHILDREN
from engine.casework.inbox import DUE_FILTERS, SCOPES, SORTS
from engine.casework.read.case_list import EXIT_PLANNING, STATUSES, STAYS
from engine.casework.read.export import FORMATS
from engine.clock import SOFIA, isoformat_local
from engine.paging import MAX_PAGE

PAGE_SIZE = 25
NOTE_KINDS = notes.KINDS
MAX_PAGE_SIZE = 100


def storable(value: Any) -> None:
    """Text the database and the pages can hold: no NUL, no lone UTF-16 surrogate (JSON's "\\ud800")."""
    pending = [value]
    while pending:  # iterative: a body may nest as deep as the JSON decoder allows
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            _check_text(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise ValidationError("must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValidationError("must be valid Unicode text") from error


class Text(fields.String):
    """A string input that the database can store."""

    def __init__(self, *, max_length: int | None = None, min_length: int | None = None, **kwargs: Any):
        checks: list[Any] = [storable]
        if max_length is not None or min_length is not None:
            checks.append(validate.Length(min=min_length, max=max_length))
        super().__init__(validate=checks, **kwargs)


class StrictBoolean(fields.Boolean):
    """JSON ``true`` or ``false`` only: not 0, 1, "yes" or "on"."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Instant(fields.AwareDateTime):
    """An instant written in Sofia time with its UTC offset."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else isoformat_local(value)


class ErrorSchema(Schema):
    error = fields.String(
        required=True, metadata={"description": "stable error code", "example": "not_found"}
    )
    message = fields.String(required=True, metadata={"description": "what went wrong, for people"})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "messages per field (form field, input field or BPMN element id)"},
    )


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class PageInfoSchema(Schema):
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "items across all pages"})


# --- pathways ------------------------------------------------------------------------------------


class PathwaySchema(Schema):
    key = fields.String(required=True, metadata={"example": "crisis_centre_adult"})
    name = fields.String(required=True)
    centre_kind = fields.String(required=True)
    target = fields.String(required=True, metadata={"description": "adult, child or any"})
    version = fields.Integer(required=True, metadata={"description": "the newest deployed version"})


class PathwayListSchema(Schema):
    items = fields.List(fields.Nested(PathwaySchema), required=True)


class DeployedSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    deployed_at = Instant(required=True)


# --- tasks --------------------------------------------------------------------------------------


class InboxQuerySchema(Schema):
    scope = fields.String(
        load_default="all",
        validate=validate.OneOf(SCOPES),
        metadata={
            "description": "all = mine and unclaimed for my role; team = my centres' (case leads, managers)"
        },
    )
    centre = Text(load_default="", max_length=40, metadata={"description": "centre code"})
    pathway = Text(load_default="", max_length=80, metadata={"description": "pathway key"})
    task_type = Text(
        load_default="", max_length=200, metadata={"description": "a task's element id or form key"}
    )
    due = fields.String(
        load_default="",
        validate=validate.OneOf(DUE_FILTERS),
        metadata={
            "description": "overdue, today, week (next 7 days), follow_up (my follow-up date has come)"
        },
    )
    q = Text(
        load_default="",
        max_length=100,
        metadata={"description": "a case number or part of the person's name; never written to a log"},
    )
    sort = fields.String(
        load_default="due",
        validate=validate.OneOf(SORTS),
        metadata={
            "description": "due = overdue first, then by due date; case = by case number; task = by name"
        },
    )
    holder = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "only the tasks this user (by id) holds: the workload view's links"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    page_size = fields.Integer(load_default=PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


class CaseRefSchema(Schema):
    id = fields.String(required=True, metadata={"description": "opaque public id of the case"})
    number = fields.String(required=True)
    display_name = fields.String(required=True)


class InboxTaskSchema(Schema):
    id = fields.String(required=True, metadata={"description": "opaque public id"})
    name = fields.String(required=True)
    element_id = fields.String(required=True)
    form_key = fields.String(required=True)
    role = fields.String(required=True)
    case = fields.Nested(CaseRefSchema, required=True)
    centre = fields.String(required=True, metadata={"description": "centre name"})
    pathway = fields.String(required=True)
    due_at = Instant(required=True, allow_none=True)
    legal_source = fields.String(required=True)
    assignee = fields.String(
        required=True, allow_none=True, metadata={"description": "who holds it, if anyone"}
    )
    follow_up_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "the holder's follow-up date (Sofia), if set"},
    )

    @pre_dump
    def _from_row(self, row: Any, **kwargs: Any) -> dict[str, Any]:
        return {
            "id": row.task_id,
            "name": row.task_name,
            "element_id": row.element_id,
            "form_key": row.form_key,
            "role": row.role,
            "case": {"id": row.case_id, "number": row.case_number, "display_name": row.display_name},
            "centre": row.centre_name,
            "pathway": row.pathway,
            "due_at": row.due_at,
            "legal_source": row.legal_source,
            "assignee": (row.assignee_name or None) if row.assignee_id is not None else None,
            "follow_up_on": row.follow_up_on,
        }


class InboxCountsSchema(Schema):
    mine = fields.Integer(required=True)
    unclaimed = fields.Integer(required=True)
    team = fields.Integer(required=True)
    matching = fields.Integer(required=True)
    overdue = fields.Integer(required=True)
    due_today = fields.Integer(required=True)


class InboxPageSchema(PageInfoSchema):
    items = fields.List(fields.Nested(InboxTaskSchema), required=True)
    counts = fields.Nested(InboxCountsSchema, required=True)


class TaskSchema(Schema):
    """A task as the case sees it (engine.casework.read.casefile.TaskSummary)."""

    id = fields.String(required=True, attribute="public_id")
    name = fields.String(required=True)
    element_id = fields.String(required=True)
    form_key = fields.String(required=True)
    role = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open, completed or cancelled"})
    assignee = fields.String(required=True, allow_none=True, attribute="assignee_name")
    created_at = Instant(required=True)
    due_at = Instant(required=True, allow_none=True)
    legal_source = fields.String(required=True)
    completed_at = Instant(required=True, allow_none=True)
    completed_by = fields.String(required=True, allow_none=True)
    can_complete = fields.Boolean(
        required=True, metadata={"description": "whether the caller may complete it"}
    )

    @pre_dump
    def _nulls(self, task: Any, **kwargs: Any) -> dict[str, Any]:
        values = {name: getattr(task, name) for name in task.__dataclass_fields__}
        values["assignee_name"] = (task.assignee_name or None) if task.assignee_id is not None else None
        values["completed_by"] = task.completed_by or None
        return values


class CompleteSchema(Schema):
    data = fields.Dict(
        keys=fields.String(),
        required=True,
        validate=storable,
        metadata={"description": "the form's fields, as its JSON Schema describes them"},
    )


class MessageSchema(Schema):
    data = fields.Raw(
        load_default=None,
        validate=storable,
        metadata={
            "description": "the message's data: a JSON object that fits the JSON Schema of the form the "
            "waiting element names (`payload_form`); empty or absent when it names none",
            "example": {"outcome": "placement", "decided_on": "2026-03-02"},
        },
    )


class CompletedSchema(Schema):
    task = fields.Nested(TaskSchema, required=True)
    case = fields.Nested(CaseRefSchema, required=True)
    case_status = fields.String(required=True)
    next_tasks = fields.List(
        fields.Nested(TaskSchema), required=True, metadata={"description": "the case's open tasks now"}
    )


# --- cases ---------------------------------------------------------------------------------------


class ChildSchema(Schema):
    display_name = Text(required=True, min_length=1, max_length=200)
    birth_date = fields.Date(required=True, metadata={"description": "under 18 on the day of admission"})
    sex = fields.String(load_default="", validate=validate.OneOf(["", "female", "male"]))


class IntakeSchema(Schema):
    centre = Text(required=True, max_length=40, metadata={"description": "centre code", "example": "kc-demo"})
    display_name = Text(
        required=True, min_length=1, max_length=200, metadata={"description": "how staff refer to the person"}
    )
    legal_basis = fields.String(required=True, validate=validate.OneOf(LEGAL_BASES))
    target_group = fields.String(required=True, validate=validate.OneOf(TARGET_GROUPS))
    birth_date = fields.Date(load_default=None, allow_none=True)
    referral_number = Text(
        load_default="",
        max_length=80,
        metadata={"description": "number of the referral or order (направление, заповед)"},
    )
    referral_date = fields.Date(load_default=None, allow_none=True)
    dsp_lead_name = fields.String(
        load_default="",
        metadata={"description": "ДСП lead social worker (ЗСУ чл. 84(3)), at most 200 characters"},
    )
    dsp_lead_contact = fields.String(
        load_default="", metadata={"description": "their phone or e-mail, at most 200"}
    )
    sex = fields.String(
        load_default="",
        validate=validate.OneOf(["", "female", "male"]),
        metadata={"description": 'female, male or "" (not said): places for women only need female'},
    )

    over_capacity = StrictBoolean(
        load_default=False,
        metadata={
            "description": "admit even though the centre has no free places, or none that fits the person "
            "(otherwise 422)"
        },
    )
    children = fields.List(
        fields.Nested(ChildSchema),
        load_default=list,
        validate=validate.Length(max=MAX_CHILDREN),
        metadata={
            "description": "children admitted with the person (a family): each gets a case on the child "
            "pathway linked to this one (links, kind family) and a place in the same room"
        },
    )


class CaseListQuerySchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(STATUSES))
    search = Text(
        load_default="", max_length=100, metadata={"description": "part of the case number or name"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))


class CaseExportQuerySchema(Schema):
    """The case list's filters (the page's query parameters) and the file's format."""

    file_format = fields.String(load_default="csv", data_key="format", validate=validate.OneOf(FORMATS))
    status = fields.String(load_default="open", validate=validate.OneOf(STATUSES))
    search = Text(
        load_default="", max_length=100, metadata={"description": "part of the case number or name"}
    )
    centre = Text(load_default="", max_length=40, metadata={"description": "only this centre (its code)"})
    arrived = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(\d{4}-\d{2})?$"),
        metadata={"description": "admitted in this month, YYYY-MM"},
    )
    left = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(\d{4}-\d{2})?$"),
        metadata={"description": "left in this month, YYYY-MM"},
    )
    stay = fields.String(load_default="", validate=validate.OneOf(STAYS))
    exit_planning = fields.String(load_default="", validate=validate.OneOf(EXIT_PLANNING))
    led = fields.Boolean(load_default=False, metadata={"description": "only the cases the caller leads"})


class CaseSummarySchema(Schema):
    id = fields.String(required=True, attribute="public_id", metadata={"description": "opaque public id"})
    number = fields.String(required=True, metadata={"example": "KC-DEMO-2025-0001"})
    display_name = fields.String(required=True)
    centre = fields.String(required=True, attribute="centre_name")
    pathway = fields.String(required=True)
    legal_basis = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open, incident or closed"})
    admitted_at = Instant(required=True)
    open_tasks = fields.Integer(required=True)


class CasePageSchema(PageInfoSchema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)


class CentreSchema(Schema):
    name = fields.String(required=True)
    address = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "confidential: given only to staff of this centre, null otherwise"},
    )


class PathwayRefSchema(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)


class DeadlineSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "what falls due"})
    due_at = Instant(required=True)
    legal_source = fields.String(required=True, metadata={"description": "the law that sets the deadline"})


class IncidentSchema(Schema):
    element_id = fields.String(required=True)
    expression = fields.String(required=True, metadata={"description": "the diagram's text that failed"})
    problem = fields.String(required=True, metadata={"description": "kind of problem: a stable code"})
    message = fields.String(required=True, metadata={"description": "the problem in words, no case values"})


class CompletedFormSchema(Schema):
    task_id = fields.String(required=True)
    task_name = fields.String(required=True)
    form_key = fields.String(required=True)
    completed_at = Instant(required=True, allow_none=True)
    completed_by = fields.String(required=True)
    data = fields.Dict(required=True)


class TimelineEntrySchema(Schema):
    at = Instant(required=True)
    action = fields.String(required=True)
    actor = fields.String(required=True)
    subject = fields.String(required=True)


class LinkedCentreSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class LinkSchema(Schema):
    kind = fields.String(
        required=True,
        metadata={
            "description": "handover (a child's case opened by a handover) or family (a mother and her "
            "children admitted together, each on their own case)"
        },
    )
    direction = fields.String(
        required=True,
        metadata={
            "description": "to: this case opened the other, or is the family's parent; from: the other "
            "opened this, or is the parent; with: both are children of one family"
        },
    )
    case_number = fields.String(required=True, metadata={"description": "the other case's number"})
    centre = fields.Nested(
        LinkedCentreSchema, required=True, metadata={"description": "the other case's centre"}
    )
    created_at = Instant(required=True)
    case_id = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "the other case's public id; null when the caller may not open it"},
    )
    status = fields.String(
        required=True, allow_none=True, metadata={"description": "the other case's status; null as case_id"}
    )


class DspLeadSchema(Schema):
    name = fields.String(required=True, metadata={"description": "ДСП lead social worker (ЗСУ чл. 84(3))"})
    contact = fields.String(required=True)


class CaseSchema(Schema):
    id = fields.String(required=True, metadata={"description": "opaque public id"})
    number = fields.String(required=True)
    display_name = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open, incident or closed"})
    centre = fields.Nested(CentreSchema, required=True)
    legal_basis = fields.String(required=True)
    target_group = fields.String(required=True)
    referral_number = fields.String(required=True)
    birth_date = fields.Date(required=True, allow_none=True)
    admitted_at = Instant(required=True)
    closed_at = Instant(required=True, allow_none=True)
    day_of_stay = fields.Integer(required=True)
    cap_at = Instant(
        required=True, metadata={"description": "admitted_at + 6 calendar months (the stay's cap)"}
    )
    days_to_cap = fields.Integer(required=True)
    pathway = fields.Nested(PathwayRefSchema, required=True)
    incident = fields.Nested(IncidentSchema, required=True, allow_none=True)
    deadlines = fields.List(
        fields.Nested(DeadlineSchema), required=True, metadata={"description": "pending ones, earliest first"}
    )
    current_tasks = fields.List(fields.Nested(TaskSchema), required=True)
    completed_forms = fields.List(fields.Nested(CompletedFormSchema), required=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    links = fields.List(
        fields.Nested(LinkSchema),
        required=True,
        metadata={
            "description": "linked cases: the other case's number and centre, more only if it may be opened"
        },
    )
    dsp_lead = fields.Nested(DspLeadSchema, required=True, allow_none=True)


class AuditEntrySchema(Schema):
    at = Instant(required=True)
    actor = fields.String(required=True, metadata={"description": "username, or 'system'"})
    actor_name = fields.String(required=True)
    action = fields.String(required=True, metadata={"example": "case.read"})
    subject = fields.String(required=True)
    ip = fields.String(required=True, metadata={"description": "the address the request came from"})


class AuditSchema(Schema):
    items = fields.List(
        fields.Nested(AuditEntrySchema), required=True, metadata={"description": "newest first"}
    )


# --- the case file: notes and documents ------------------------------------------------------------


class NoteInSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(NOTE_KINDS))
    body = Text(required=True, min_length=1, max_length=notes.MAX_BODY)
    visibility = fields.String(
        load_default="staff",
        validate=validate.OneOf(notes.VISIBILITIES),
        metadata={"description": "staff = all staff who may open the case; psychologist = therapy note"},
    )
    noted_at = fields.AwareDateTime(
        load_default=None,
        default_timezone=SOFIA,
        metadata={"description": "when it happened (Sofia time if no offset); now if omitted"},
    )
    task_id = Text(load_default="", max_length=40, metadata={"description": "a task of the case"})


class NotePatchSchema(Schema):
    kind = fields.String(validate=validate.OneOf(NOTE_KINDS))
    body = Text(min_length=1, max_length=notes.MAX_BODY)
    noted_at = fields.AwareDateTime(default_timezone=SOFIA)
    task_id = Text(max_length=40, metadata={"description": "a task of the case; empty to unlink"})


class NoteRevisionSchema(Schema):
    kind = fields.String(required=True)
    noted_at = Instant(required=True)
    body = fields.String(required=True)
    written_at = Instant(required=True)
    replaced_at = Instant(required=True)
    replaced_by = fields.String(required=True)


class NoteSchema(Schema):
    id = fields.String(required=True, attribute="public_id")
    kind = fields.String(required=True, metadata={"description": ", ".join(NOTE_KINDS)})
    visibility = fields.String(required=True)
    noted_at = Instant(required=True)
    body = fields.String(required=True)
    author = fields.String(required=True)
    created_at = Instant(required=True)
    edited_at = Instant(required=True, allow_none=True)
    task_id = fields.String(required=True)
    task_name = fields.String(required=True)
    revisions = fields.List(
        fields.Nested(NoteRevisionSchema), required=True, metadata={"description": "earlier texts"}
    )


class NoteListSchema(Schema):
    items = fields.List(fields.Nested(NoteSchema), required=True)


class AttachmentSchema(Schema):
    id = fields.String(required=True, attribute="public_id")
    kind = fields.String(required=True, metadata={"description": ", ".join(ATTACHMENT_KINDS)})
    title = fields.String(required=True, metadata={"description": "the file name as uploaded"})
    media_type = fields.String(required=True, metadata={"description": "found in the content"})
    size = fields.Integer(required=True)
    has_preview = fields.Boolean(required=True)
    uploaded_by = fields.String(required=True)
    uploaded_at = Instant(required=True)


class AttachmentListSchema(Schema):
    items = fields.List(fields.Nested(AttachmentSchema), required=True)


# --- the dashboard and occupancy (engine/reports) ---------------------------------------------------


class CountSchema(Schema):
    key = fields.String(
        required=True, metadata={"description": "what the list behind it filters on: element id, username"}
    )
    label = fields.String(required=True)
    count = fields.Integer(required=True)


class LatenessSchema(Schema):
    fired = fields.Integer(required=True, metadata={"description": "timers fired in the last 24 hours"})
    max_seconds = fields.Float(required=True)
    p95_seconds = fields.Float(required=True)
    sweep_last_run = fields.Method("_last_run", metadata={"description": "when the deadline sweep last ran"})

    def _last_run(self, lateness: Any) -> str | None:
        return isoformat_local(lateness.sweep_last_run) if lateness.sweep_last_run else None


class ChartSchema(Schema):
    labels = fields.List(fields.String(), required=True)
    series = fields.Dict(
        keys=fields.String(), values=fields.List(fields.Float(allow_none=True)), required=True
    )


class DashboardSchema(Schema):
    centre = fields.String(required=True, attribute="code")
    name = fields.String(required=True)
    scope = fields.String(
        required=True,
        metadata={"description": "centre (a manager), team (a case lead: the cases they lead)"},
    )
    today = fields.Date(required=True)
    month = fields.String(required=True, metadata={"example": "2026-12"})
    residents = fields.Integer(required=True, metadata={"description": "people staying (places taken)"})
    capacity = fields.Integer(required=True)
    waiting = fields.Integer(required=True, metadata={"description": "people on the waiting list"})
    turned_away = fields.Integer(required=True, metadata={"description": "turn-aways this month"})
    turn_aways = fields.List(fields.Nested(CountSchema), required=True)
    arrivals = fields.Integer(required=True, metadata={"description": "admitted this month"})
    exits = fields.Integer(required=True, metadata={"description": "left this month"})
    overdue = fields.Integer(required=True)
    overdue_by_kind = fields.List(fields.Nested(CountSchema), required=True)
    overdue_by_worker = fields.List(
        fields.Nested(CountSchema), required=True, metadata={"description": 'key "": held by nobody'}
    )
    due_week = fields.Integer(required=True, metadata={"description": "open tasks due in the next 7 days"})
    timers_week = fields.Integer(required=True, metadata={"description": "timers due in the next 7 days"})
    near_cap_planned = fields.Integer(required=True)
    near_cap_unplanned = fields.Integer(required=True)
    incidents = fields.Integer(required=True)
    lateness = fields.Nested(LatenessSchema, required=True)
    charts = fields.Dict(keys=fields.String(), values=fields.Nested(ChartSchema), required=True)


class OccupancyQuerySchema(Schema):
    # Strings, checked by the view: a bad date is a 400 naming the parameter.
    from_ = fields.String(
        data_key="from",
        load_default="",
        metadata={"description": "first day, YYYY-MM-DD (default: 1 year ago)"},
    )
    to = fields.String(load_default="", metadata={"description": "last day, YYYY-MM-DD (default: today)"})


class OccupancyDaySchema(Schema):
    day = fields.Date(required=True)
    residents = fields.Integer(required=True)
    capacity = fields.Integer(required=True)


class OccupancySchema(Schema):
    centre = fields.String(required=True)
    days = fields.List(fields.Nested(OccupancyDaySchema), required=True)

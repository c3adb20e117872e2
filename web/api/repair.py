"""``/api/v1/cases/{id}/repair``, ``suspend``, ``resume``, ``move``, ``deadlines/{id}/cancel``: repairing a
case, for coordinators and managers of its centre, as the repair page does; each needs a ``reason``."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from engine.casework import repair
from engine.casework.read import repair_view
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.schemas import Instant, storable
from web.db import reads_only, request_uow

blp = api_blueprint("repair", "Repair a case: suspend, resume, move its token, cancel a waiting timer")

REASON = fields.String(
    required=True,
    validate=storable,
    metadata={
        "description": f"why (required, at most {repair.MAX_REASON} characters): kept in the audit trail "
        "and shown on the case's timeline",
        "example": "the person is in hospital for two weeks",
    },
)


class ReasonSchema(Schema):
    reason = REASON


class MoveSchema(Schema):
    element_id = fields.String(
        required=True,
        validate=storable,
        metadata={"description": "a step of `targets` in the repair view", "example": "needs_assessment"},
    )
    reason = REASON


class StepSchema(Schema):
    element_id = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "the diagram's name of the step"})
    since = Instant(required=True)
    due_at = Instant(required=True, allow_none=True)


class RepairTimerSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the timer's number, for `cancel`"})
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    due_at = Instant(required=True)
    due_duration = fields.String(required=True, metadata={"description": "as the diagram writes it, or ''"})
    due_from = fields.String(required=True, metadata={"description": "what the duration counts from"})
    shifts_on_resume = fields.Boolean(
        required=True,
        metadata={"description": "true: moved later by the time suspended; false: keeps its date"},
    )


class TargetSchema(Schema):
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    direction = fields.String(required=True, metadata={"description": "back (redo) or forward (skip to)"})


class RepairSchema(Schema):
    """The case as its repairer sees it: its number, position and dates, never its content."""

    id = fields.String(required=True, attribute="public_id")
    number = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "open | incident | suspended | closed"})
    centre = fields.String(required=True, attribute="centre_name")
    pathway = fields.String(required=True, attribute="pathway_key")
    pathway_version = fields.Integer(required=True)
    admitted_at = Instant(required=True)
    suspended_at = Instant(required=True, allow_none=True)
    closed_at = Instant(required=True, allow_none=True)
    steps = fields.List(fields.Nested(StepSchema), required=True)
    timers = fields.List(fields.Nested(RepairTimerSchema), required=True)
    targets = fields.List(fields.Nested(TargetSchema), required=True)


def _view(case_id: str) -> repair_view.RepairView:
    return repair_view.repair_view(request_uow(), caller(), case_id)


@blp.get("/cases/<case_id>/repair")
@blp.response(200, RepairSchema)
@errors(blp, 403, 404)
@reads_only
def show(case_id: str) -> repair_view.RepairView:
    """Where the case is (open steps, waiting timers), the steps it may be moved to, and its dates."""
    return _view(case_id)


@blp.post("/cases/<case_id>/suspend")
@blp.arguments(ReasonSchema)
@blp.response(200, RepairSchema)
@errors(blp, 403, 404, 409, 422, 503)
def suspend(body: dict[str, Any], case_id: str) -> repair_view.RepairView:
    """Suspend an open case: its timers hold and its tasks cannot be completed until it is resumed."""
    repair.suspend_case(request_uow(), caller(), case_id, body["reason"])
    return _view(case_id)


@blp.post("/cases/<case_id>/resume")
@blp.arguments(ReasonSchema)
@blp.response(200, RepairSchema)
@errors(blp, 403, 404, 409, 422, 503)
def resume(body: dict[str, Any], case_id: str) -> repair_view.RepairView:
    """Resume a suspended case. A time counted from when its step began moves later by the time suspended;
    a date, or a time counted from a date of the case, keeps its date and fires now if it fell due."""
    repair.resume_case(request_uow(), caller(), case_id, body["reason"])
    return _view(case_id)


@blp.post("/cases/<case_id>/move")
@blp.arguments(MoveSchema)
@blp.response(200, RepairSchema)
@errors(blp, 403, 404, 409, 422, 503)
def move(body: dict[str, Any], case_id: str) -> repair_view.RepairView:
    """Move the case's token to `element_id`, one of the view's `targets`: back to redo a step (its
    earlier answers become the draft) or forward, skipping the steps on the way. Data are kept."""
    repair.move_case(request_uow(), caller(), case_id, body["element_id"], body["reason"])
    return _view(case_id)


@blp.post("/cases/<case_id>/deadlines/<int:deadline_id>/cancel")
@blp.arguments(ReasonSchema)
@blp.response(200, RepairSchema)
@errors(blp, 403, 404, 409, 422, 503)
def cancel_timer(body: dict[str, Any], case_id: str, deadline_id: int) -> repair_view.RepairView:
    """Cancel a waiting timer (one of the view's `timers`): it will not fire; the rest of the case goes on."""
    repair.cancel_deadline(request_uow(), caller(), case_id, deadline_id, body["reason"])
    return _view(case_id)

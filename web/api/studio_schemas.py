"""Schemas of the pathway studio's API: drafts and their verdict, versions, the diff, deploys, approvals."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.pathways.studio import EXPRESSION_KINDS
from engine.pathways.studio_deploy import DECISIONS, MAX_NOTE
from web.api.schemas import Instant, StrictBoolean, Text


class ProblemSchema(Schema):
    element_id = fields.String(required=True, metadata={"description": "the BPMN element's id"})
    severity = fields.String(required=True, metadata={"description": "error (blocks a deploy) or warning"})
    code = fields.String(
        required=True,
        metadata={"description": "stable kind of problem, e.g. form_unknown, role_missing; `rule` otherwise"},
    )
    message = fields.String(required=True, metadata={"description": "in the caller's language"})


class VerdictSchema(Schema):
    verdict = fields.String(required=True, metadata={"description": "valid, invalid or not_executable"})
    problems = fields.List(fields.Nested(ProblemSchema), required=True)
    sha256 = fields.String(required=True)
    saved_at = Instant(required=True)


class DraftSchema(VerdictSchema):
    key = fields.String(required=True)
    xml = fields.String(required=True, metadata={"description": "the draft's BPMN XML"})
    author = fields.String(required=True, metadata={"description": "who saved it last (username)"})
    status = fields.String(required=True, metadata={"description": "draft or awaiting_approval"})


class VersionSchema(Schema):
    version = fields.Integer(required=True)
    deployed_by = fields.String(required=True)
    deployed_at = Instant(required=True)
    note = fields.String(required=True)
    sha256 = fields.String(required=True)
    open_cases = fields.Integer(required=True, metadata={"description": "cases not closed that run on it"})
    calls = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "the pathways it calls (call activities) → the version of each it pins"},
    )


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema), required=True)


class ScenarioBodySchema(Schema):
    """A scenario as in workflows/pathways/<id>/scenarios/*.json; checked by the engine's own schema."""

    class Meta:
        unknown = "include"


class StepsSchema(Schema):
    steps = fields.List(fields.Dict(), required=True, metadata={"description": "as `simulate --json` prints"})


class FailureSchema(Schema):
    scenario = fields.String(required=True)
    name = fields.String(metadata={"description": "the scenario's name (its file's name)"})
    message = fields.String(required=True, metadata={"description": "the expectations that broke"})


class ScenarioResultSchema(Schema):
    name = fields.String(required=True, metadata={"description": "the scenario's name (its file's name)"})
    title = fields.String(required=True)
    passed = fields.Boolean(required=True)
    message = fields.String(required=True, metadata={"description": "the expectations that broke"})


class TestReportSchema(Schema):
    passed = fields.Integer(required=True, metadata={"description": "how many scenarios passed"})
    failed = fields.List(fields.Nested(FailureSchema), required=True)
    scenarios = fields.List(fields.Nested(ScenarioResultSchema), required=True)


class DraftScenarioSchema(Schema):
    name = fields.String(required=True)
    scenario = fields.Raw(required=True, allow_none=True, metadata={"description": "the scenario's JSON"})
    error = fields.String(required=True, metadata={"description": "why its file cannot be read, or empty"})
    edited = fields.Boolean(required=True, metadata={"description": "edited in the draft"})


class DraftScenariosSchema(Schema):
    scenarios = fields.List(fields.Nested(DraftScenarioSchema), required=True)


class ScenarioRunSchema(Schema):
    name = fields.String(required=True)
    passed = fields.Boolean(required=True)
    failures = fields.List(fields.String(), required=True)


class DiffQuerySchema(Schema):
    from_ = Text(
        required=True, data_key="from", max_length=20, metadata={"description": "a version number or `draft`"}
    )
    to = Text(required=True, max_length=20, metadata={"description": "a version number or `draft`"})


class ChangedSchema(Schema):
    id = fields.String(required=True)
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "field → [old, new]: name, type, timer, role, form, due, source, ..."},
    )


class DiffSchema(Schema):
    added = fields.List(fields.String(), required=True)
    removed = fields.List(fields.String(), required=True)
    changed = fields.List(fields.Nested(ChangedSchema), required=True)


class DeployBodySchema(Schema):
    note = Text(required=True, max_length=MAX_NOTE, metadata={"description": "what changes and why"})
    confirm_failures = StrictBoolean(
        load_default=False,
        metadata={"description": "deploy although scenarios fail (they are named in a 422)"},
    )


class DeployedVersionSchema(Schema):
    version = fields.Integer(required=True)


class ApprovalAskedSchema(Schema):
    approval_id = fields.Integer(required=True)
    reasons = fields.List(
        fields.String(), required=True, metadata={"description": "the changes that need it"}
    )
    reasons_read = fields.List(
        fields.String(), required=True, metadata={"description": "the same, in the caller's language"}
    )


class DecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = Text(load_default="", max_length=MAX_NOTE, metadata={"description": "required to reject"})


class ApprovalSchema(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, approved or rejected"})
    base_version = fields.Integer(allow_none=True)
    note = fields.String(required=True)
    reasons = fields.Function(
        lambda view: [reason.line() for reason in view.reasons],
        required=True,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "the changes that need the approval, one English line each",
        },
    )
    requested_by = fields.String(required=True)
    requested_at = Instant(required=True)
    decided_by = fields.String(required=True)
    reason = fields.String(required=True)
    version = fields.Integer(allow_none=True, metadata={"description": "the version deployed on approval"})
    may_decide = fields.Boolean(required=True)


class ApprovalListSchema(Schema):
    items = fields.List(fields.Nested(ApprovalSchema), required=True)


class ExpressionBodySchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(EXPRESSION_KINDS))
    text = Text(required=True, max_length=5000)


class ExpressionVerdictSchema(Schema):
    ok = fields.Boolean(required=True)
    message = fields.String(required=True)

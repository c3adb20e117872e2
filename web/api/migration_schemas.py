"""Schemas of the case migration API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from web.api.schemas import StrictBoolean

NUMBER = fields.String(validate=validate.Length(min=1, max=40))


class MigrationBodySchema(Schema):
    from_ = fields.Integer(
        data_key="from", required=True, strict=True, validate=validate.Range(min=1, max=1_000_000)
    )
    to = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))
    cases = fields.List(NUMBER, load_default=None, validate=validate.Length(max=10_000))
    mapping = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        values=fields.String(validate=validate.Length(min=1, max=200)),
        load_default=None,
        metadata={"description": "old element id → new element id, for renamed or moved elements"},
    )
    dry_run = StrictBoolean(load_default=True, metadata={"description": "preview only; nothing is stored"})


class RevertBodySchema(Schema):
    cases = fields.List(NUMBER, load_default=None, validate=validate.Length(max=10_000))


class ChangeSchema(Schema):
    code = fields.String(required=True, metadata={"description": "the kind of change, e.g. timer_moved"})
    params = fields.Dict(required=True, metadata={"description": "element names, dates, version numbers"})
    message = fields.String(required=True, metadata={"description": "in the caller's language"})


class MigrationCaseSchema(Schema):
    number = fields.String(required=True)
    verdict = fields.String(
        required=True,
        metadata={"description": "migratable | blocked | failed | migrated | reverted | not_revertible"},
    )
    position = fields.List(fields.String(), required=True, metadata={"description": "the steps it is at"})
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class MigrationSchema(Schema):
    batch = fields.Integer(allow_none=True, required=True, metadata={"description": "null for a dry run"})
    status = fields.String(
        required=True, metadata={"description": "dry_run, awaiting_approval, done, reverted"}
    )
    cases = fields.List(fields.Nested(MigrationCaseSchema), required=True)


class MigrationProgressSchema(Schema):
    batch = fields.Integer(required=True)
    status = fields.String(required=True)
    moves_clocks = fields.Boolean(required=True)
    total = fields.Integer(required=True)
    done = fields.Integer(required=True)
    planned = fields.Integer()
    migrated = fields.Integer()
    blocked = fields.Integer()
    failed = fields.Integer()
    reverted = fields.Integer()

"""``/api/v1/statistics?month=YYYY-MM``: the anonymised monthly statistics of the caller's centres.

The same permissions as the page: the managers of a centre; others 403, a centre named in ``centre``
where the caller has no role 404. Counts under 5 are never given: ``count`` is null and ``shown`` says
``<5`` (or ``x`` for a cell hidden so that the other could not be worked out from the total).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from engine.reports.statistics import FIGURES, read_statistics
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.db import reads_only, request_uow

blp = api_blueprint("statistics", "Anonymised monthly statistics for the municipality and АСП")

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class StatisticsQuerySchema(Schema):
    month = fields.String(
        required=True,
        validate=validate.Regexp(MONTH, error="a month as YYYY-MM"),
        metadata={"description": "the month, YYYY-MM (Europe/Sofia)", "example": "2026-11"},
    )
    centre = fields.String(
        load_default="",
        validate=validate.Length(max=40),
        metadata={"description": "one centre's code; default: every centre the caller manages"},
    )


class CellSchema(Schema):
    category = fields.String(required=True, metadata={"description": "a code (legal basis, age band …)"})
    count = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null when hidden (under 5, or x)"}
    )
    shown = fields.String(required=True, metadata={"description": 'the count, "<5" or "x"'})


class TableSchema(Schema):
    figure = fields.String(required=True, validate=validate.OneOf(FIGURES))
    total = fields.Integer(required=True, allow_none=True, metadata={"description": "null when under 5"})
    shown_total = fields.String(required=True)
    cells = fields.List(fields.Nested(CellSchema), required=True)


class CentreStatisticsSchema(Schema):
    centre = fields.String(required=True, attribute="code")
    name = fields.String(required=True)
    tables = fields.List(fields.Nested(TableSchema), required=True)


class StatisticsSchema(Schema):
    month = fields.String(required=True, metadata={"example": "2026-11"})
    centres = fields.List(fields.Nested(CentreStatisticsSchema), required=True)


@blp.get("/statistics")
@blp.arguments(StatisticsQuerySchema, location="query", as_kwargs=True)
@blp.response(200, StatisticsSchema)
@errors(blp, 403, 404, 422)
@reads_only
def statistics(month: str, centre: str) -> Any:
    """Per centre: admissions by legal basis, target group, age band and sex; stays ended in the month
    by length and exit route; turn-aways by reason. Small counts suppressed (see `shown`)."""
    return read_statistics(request_uow(), caller(), month, centre)

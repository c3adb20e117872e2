"""``/api/v1/pathways/{key}/migrations`` and ``/api/v1/migrations/{batch}``: moving running cases to
another version of their pathway (see docs/migrations.md).

Coordinators plan, dry-run and execute; a batch that moves clocks answers 202 and waits for a manager
of a centre that runs the pathway, who did not ask for it: approving it runs it. The preview names
case numbers, steps and dates only, never a person's data (coordinators do not read cases). Each case
moves in a transaction of its own, so these views run outside the request's unit of work.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from engine.casework.migration import batch as batches
from engine.casework.migration.revert import revert as revert_batch
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.migration_schemas import (
    MigrationBodySchema,
    MigrationProgressSchema,
    MigrationSchema,
    RevertBodySchema,
)
from web.db import current_services, discard_changes, reads_only, request_uow
from web.migration_text import outcome_json

blp = api_blueprint("migrations", "Moving running cases to another pathway version: preview, run, revert")


@blp.post("/pathways/<key>/migrations")
@blp.arguments(MigrationBodySchema)
@blp.response(200, MigrationSchema)
@blp.alt_response(202, schema=MigrationSchema, description="the batch moves clocks: a manager approves it")
@errors(blp, 403, 404, 409, 422)
def plan(body: dict[str, Any], key: str) -> Any:
    """Preview (``dry_run``: nothing is stored) or execute a migration of the open cases on ``from``.

    Each case's verdict is migratable or blocked in a dry run; migrated, blocked or failed once run.
    """
    discard_changes()  # the request's own transaction stays idle: each case commits on its own
    services, who = current_services(), caller()
    outcome = batches.store_plan(
        services.uow, who, key, body["from_"], body["to"], services.forms, body.get("cases") or None,
        body.get("mapping") or {}, dry_run=body["dry_run"],
    )  # fmt: skip
    cases = outcome.cases
    if outcome.status == batches.AWAITING:
        response = jsonify(_dump(outcome.batch, outcome.status, cases))
        response.status_code = 202
        return response
    if outcome.batch is not None:
        cases = _ran(outcome.batch, cases, batches.run(services.uow, who, outcome.batch, services.forms))
    return _dump(outcome.batch, "done" if outcome.batch else outcome.status, cases)


def _ran(
    batch: int, planned: list[batches.CaseOutcome], ran: list[batches.CaseOutcome]
) -> list[batches.CaseOutcome]:
    by_number = {item.number: item for item in ran}
    return [by_number.get(item.number, item) for item in planned]


def _dump(batch: int | None, status: str, cases: list[batches.CaseOutcome]) -> dict[str, Any]:
    dumped: dict[str, Any] = MigrationSchema().dump(
        {"batch": batch, "status": status, "cases": [outcome_json(item) for item in cases]}
    )
    return dumped


@blp.post("/migrations/<int:batch>/approve")
@blp.response(200, MigrationSchema)
@errors(blp, 403, 404, 409)
def approve(batch: int) -> Any:
    """A manager approves a batch that moves clocks; it runs at once."""
    discard_changes()
    services, who = current_services(), caller()
    return _dump(batch, "done", batches.approve_and_run(services.uow, who, batch, services.forms))


@blp.post("/migrations/<int:batch>/run")
@blp.response(200, MigrationSchema)
@errors(blp, 403, 404, 422)
def run(batch: int) -> Any:
    """Run the cases of a batch still to move (an approved batch, or one a worker left)."""
    discard_changes()
    services = current_services()
    return _dump(batch, "done", batches.run(services.uow, caller(), batch, services.forms))


@blp.post("/migrations/<int:batch>/revert")
@blp.arguments(RevertBodySchema)
@blp.response(200, MigrationSchema)
@errors(blp, 403, 404, 422)
def revert(body: dict[str, Any], batch: int) -> Any:
    """Revert the batch's migrated cases (or the ``cases`` named); a case that has moved on since is
    ``not_revertible``, with why."""
    discard_changes()
    outcomes = revert_batch(current_services().uow, caller(), batch, body.get("cases") or None)
    return _dump(batch, "reverted", outcomes)


@blp.get("/migrations/<int:batch>")
@blp.response(200, MigrationProgressSchema)
@errors(blp, 403, 404)
@reads_only
def progress(batch: int) -> dict[str, Any]:
    """How far the batch is: its status and how many cases are in each state."""
    uow = request_uow()
    row = batches.get_batch(uow, caller(), batch)
    counts = batches.progress_of(uow, row)
    return {"batch": row.id, "status": row.status, "moves_clocks": row.moves_clocks, **counts}

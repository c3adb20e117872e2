"""``casepath cases migrate``: move running cases to another version of their pathway, or revert a batch.

One line per case (``NUMBER migrated|blocked|failed: reason``, or a JSON object with ``--json``), then
``migrated X, blocked Y, failed Z, batch B``. Exit 0 when no case failed, 1 when one did, 2 on usage.
The operator runs it as the system, so a batch that moves clocks needs no manager here: the four-eyes
rule guards the studio and the API, where coordinators ask and managers approve (docs/migrations.md).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from cli.main import Context, console, err, fail, pass_ctx
from engine.casework.migration import batch as batches
from engine.casework.migration.revert import revert as revert_batch
from engine.casework.migration.texts import english
from engine.errors import CasepathError, ValidationFailed
from engine.people.permissions import SYSTEM


def register(cases_group: click.Group) -> None:
    cases_group.add_command(migrate)


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            fail(f"--map: expected OLD=NEW, got {pair!r}")
        mapping[old.strip()] = new.strip()
    return mapping


@click.command("migrate")
@click.option("--pathway", "key", default=None, help="the pathway's key (crisis_centre_adult)")
@click.option("--from", "source", type=int, default=None, help="the version the cases are on")
@click.option("--to", "target", type=int, default=None, help="the version to move them to")
@click.option(
    "--case", "numbers", multiple=True, help="only this case (repeat for more); default: every open case"
)
@click.option("--map", "pairs", multiple=True, help="OLD=NEW: an element renamed or moved in the new version")
@click.option("--dry-run", is_flag=True, help="preview each case; change nothing")
@click.option("--revert", "revert", type=int, default=None, help="revert this batch (or its --case cases)")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per case")
@pass_ctx
def migrate(
    ctx: Context,
    key: str | None,
    source: int | None,
    target: int | None,
    numbers: tuple[str, ...],
    pairs: tuple[str, ...],
    dry_run: bool,
    revert: int | None,
    as_json: bool,
) -> None:
    """Move the open cases of --pathway from version --from to --to (or --revert BATCH)."""
    services = ctx.services
    try:
        if revert is not None:
            outcomes = revert_batch(services.uow, SYSTEM, revert, list(numbers) or None)
            _print(outcomes, as_json)
            failed = sum(o.verdict == "not_revertible" for o in outcomes)
            done = sum(o.verdict == "reverted" for o in outcomes)
            console.print(f"reverted {done}, not revertible {failed}, batch {revert}")
            sys.exit(1 if failed else 0)
        if key is None or source is None or target is None:
            fail("give --pathway, --from and --to (or --revert BATCH)")
        with _progress() as tick, services.uow() as uow:
            plan = batches.plan(
                uow, SYSTEM, key, source, target, services.forms, list(numbers) or None, _mapping(pairs),
                dry_run=dry_run, progress=tick,
            )  # fmt: skip
            uow.commit()
        outcomes = plan.cases
        if not dry_run and plan.batch is not None:
            with _progress() as tick:
                ran = {
                    o.number: o for o in batches.run(services.uow, SYSTEM, plan.batch, services.forms, tick)
                }
            outcomes = [ran.get(o.number, o) for o in plan.cases]
    except ValidationFailed as error:
        fields = "; ".join(f"{name}: {', '.join(texts)}" for name, texts in sorted(error.fields.items()))
        fail(f"{error.message}" + (f" ({fields})" if fields else ""))
    except CasepathError as error:
        fail(error.message, 1)
    _print(outcomes, as_json)
    failed = sum(o.verdict == "failed" for o in outcomes)
    migrated = sum(o.verdict in ("migrated", "migratable") for o in outcomes)
    blocked = sum(o.verdict == "blocked" for o in outcomes)
    console.print(f"migrated {migrated}, blocked {blocked}, failed {failed}, batch {plan.batch or '-'}")
    sys.exit(1 if failed else 0)


def _print(outcomes: list[batches.CaseOutcome], as_json: bool) -> None:
    for outcome in outcomes:
        shown = [item for item in outcome.changes if item["code"] not in ("task_kept", "timer_kept")]
        if as_json:
            changes = [{**item, "message": english(item)} for item in outcome.changes]
            line = {"number": outcome.number, "verdict": outcome.verdict, "changes": changes}
            console.print(json.dumps(line, ensure_ascii=False), markup=False)
            continue
        verdict = "migrated" if outcome.verdict == "migratable" else outcome.verdict
        reason = "; ".join(english(item) for item in shown) or "nothing changes"
        console.print(f"{outcome.number} {verdict}: {reason}", markup=False)


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""
    if not err.is_terminal:
        yield lambda done, total: None
        return
    from rich.progress import Progress

    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("cases", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total or None)

        yield tick

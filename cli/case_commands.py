"""``casepath cases``: deliver a message a case's pathway waits for, start a routine, and repair a case
(``suspend``, ``resume``, ``move``, ``cancel-timer``), from the server's shell."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy import select

from cli.main import Context, console, fail, pass_ctx
from engine.casework import repair
from engine.casework.messages import deliver_message, find_case
from engine.casework.retention import DueCase, delete_files, run_retention
from engine.casework.routines import open_routine
from engine.clock import local_date
from engine.errors import CasepathError, ValidationFailed
from engine.people.permissions import SYSTEM, Principal
from engine.people.users import get_user, principal_for
from engine.store.models import Case, Deadline
from engine.store.uow import UnitOfWork


def register(main: click.Group) -> None:
    from cli import migrate_commands

    migrate_commands.register(cases_group)
    main.add_command(cases_group)


@click.group("cases")
def cases_group() -> None:
    """Work on running cases from the command line."""


@cases_group.command("message")
@click.argument("case")
@click.argument("name")
@click.option("--data", "data", default="{}", show_default=True, help="the message's data, a JSON object")
@click.option(
    "--as",
    "username",
    default=None,
    help="deliver as this user (their role must be one the pathway names); without it, as the system",
)
@pass_ctx
def message(ctx: Context, case: str, name: str, data: str, username: str | None) -> None:
    """Deliver message NAME (e.g. court_decision) to CASE (its number or id) with --data JSON.

    Exit 1 with the reason when nothing in the case waits for the message or the data do not fit.
    """
    payload = _json(data)
    services = ctx.services
    try:
        with services.uow() as uow:
            who = principal_for(get_user(uow, username.strip().lower())) if username else SYSTEM
            public_id = find_case(uow, case.strip())
            delivered = deliver_message(uow, who, public_id, name, payload, services.forms)
            number, status = delivered.number, delivered.status
            uow.commit()
    except ValidationFailed as error:
        fields = "; ".join(f"{key}: {' '.join(texts)}" for key, texts in sorted(error.fields.items()))
        fail(f"{error.message}" + (f" ({fields})" if fields else ""), 1)
    except CasepathError as error:
        fail(error.message, 1)
    console.print(f"{number}: message {name} delivered; case {status}")


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"--data: not valid JSON ({error.msg} at position {error.pos})", 1)


@cases_group.command("routine")
@click.argument("pathway")
@click.option("--centre", "centre", required=True, help="the centre's code")
@click.option("--as", "username", default=None, help="start as this user (the centre's manager)")
@pass_ctx
def routine(ctx: Context, pathway: str, centre: str, username: str | None) -> None:
    """Start the routine of a periodic PATHWAY (one that starts at a timer) in a centre."""
    services = ctx.services
    try:
        with services.uow() as uow:
            who = principal_for(get_user(uow, username.strip().lower())) if username else SYSTEM
            case = open_routine(uow, who, centre.strip(), pathway.strip())
            number = case.number
            uow.commit()
    except CasepathError as error:
        fail(error.message, 1)
    console.print(f"{number}: routine {pathway} started in {centre}")


@cases_group.command("retention")
@click.option("--dry-run", "dry_run", is_flag=True, help="list what would be pseudonymised; change nothing")
@pass_ctx
def retention(ctx: Context, dry_run: bool) -> None:
    """Pseudonymise the cases closed more than CASEPATH_RETENTION_YEARS ago (5 by default).

    Prints each case's number and closing date, then a summary line. The statistics keep their numbers;
    running it again does nothing more. Beat runs it daily.
    """
    services = ctx.services
    years = services.settings.retention_years
    listed: list[DueCase] = []
    removed = 0
    try:
        while True:
            with services.uow() as uow:
                run = run_retention(uow, years, services.forms, dry_run=dry_run)
                uow.commit()
                if not dry_run:
                    removed += delete_files(uow, services.file_store, run.file_keys)
            listed += run.cases
            for case in run.cases:
                console.print(f"{case.number} closed {local_date(case.closed_at).isoformat()}")
            if dry_run or not run.cases:
                break
    except CasepathError as error:
        fail(error.message, 1)
    summary = f"{len(listed)} cases closed before {run.cutoff.isoformat()} (retention {years} years)"
    if dry_run:
        console.print(f"would pseudonymise {summary}")
    else:
        console.print(f"pseudonymised {summary}; {removed} stored files removed")


# --- repair a case (engine/casework/repair.py): coordinators and managers, each with a reason ----------

REASON_HELP = "why (required): kept in the audit trail and shown on the case's timeline"
BY_HELP = "the coordinator or manager of the case's centre who does it"


def _repair(
    ctx: Context, username: str, case: str, work: Callable[[UnitOfWork, Principal, str], str]
) -> None:
    """Run one repair as ``username`` on ``case`` (its number or id) and print its line; exit 1 on refusal."""
    services = ctx.services
    try:
        with services.uow() as uow:
            who = principal_for(get_user(uow, username.strip().lower()))
            line = work(uow, who, find_case(uow, case.strip()))
            uow.commit()
    except ValidationFailed as error:
        fields = "; ".join(f"{key}: {' '.join(texts)}" for key, texts in sorted(error.fields.items()))
        fail(fields or error.message, 1)
    except CasepathError as error:
        fail(error.message, 1)
    console.print(line)


def _number(uow: UnitOfWork, public_id: str) -> str:
    return str(uow.session.scalar(select(Case.number).where(Case.public_id == public_id)))


@cases_group.command("suspend")
@click.argument("case")
@click.option("--reason", required=True, help=REASON_HELP)
@click.option("--by", "username", required=True, help=BY_HELP)
@pass_ctx
def suspend(ctx: Context, case: str, reason: str, username: str) -> None:
    """Suspend CASE: its timers hold and its tasks cannot be completed until it is resumed."""

    def work(uow: UnitOfWork, who: Principal, public_id: str) -> str:
        return f"{repair.suspend_case(uow, who, public_id, reason).number} suspended"

    _repair(ctx, username, case, work)


@cases_group.command("resume")
@click.argument("case")
@click.option("--reason", required=True, help=REASON_HELP)
@click.option("--by", "username", required=True, help=BY_HELP)
@pass_ctx
def resume(ctx: Context, case: str, reason: str, username: str) -> None:
    """Resume a suspended CASE: a time counted from when its step began moves later by the time held; a
    date, or a time counted from a date of the case, keeps its date and fires now if it fell due."""

    def work(uow: UnitOfWork, who: Principal, public_id: str) -> str:
        done = repair.resume_case(uow, who, public_id, reason)
        days = done.held.total_seconds() / 86400
        moved = ", ".join(done.shifted) or "nothing"
        return (
            f"{done.case.number} resumed after {days:.1f} days; moved later: {moved}; case {done.case.status}"
        )

    _repair(ctx, username, case, work)


@cases_group.command("move")
@click.argument("case")
@click.argument("element")
@click.option("--reason", required=True, help=REASON_HELP)
@click.option("--by", "username", required=True, help=BY_HELP)
@pass_ctx
def move(ctx: Context, case: str, element: str, reason: str, username: str) -> None:
    """Move CASE's token to ELEMENT (a user task's id): back to redo it, or forward, skipping the steps
    on the way. The data of the case are kept."""

    def work(uow: UnitOfWork, who: Principal, public_id: str) -> str:
        moved = repair.move_case(uow, who, public_id, element, reason)
        return f"{moved.number} moved to {element.strip()}; case {moved.status}"

    _repair(ctx, username, case, work)


@cases_group.command("cancel-timer")
@click.argument("case")
@click.argument("timer")
@click.option("--reason", required=True, help=REASON_HELP)
@click.option("--by", "username", required=True, help=BY_HELP)
@pass_ctx
def cancel_timer(ctx: Context, case: str, timer: str, reason: str, username: str) -> None:
    """Cancel a waiting TIMER of CASE (its element id, or the deadline's number in `timers list`)."""

    def work(uow: UnitOfWork, who: Principal, public_id: str) -> str:
        deadline_id = _deadline_id(uow, public_id, timer.strip())
        repair.cancel_deadline(uow, who, public_id, deadline_id, reason)
        return f"{_number(uow, public_id)}: timer {timer.strip()} cancelled"

    _repair(ctx, username, case, work)


def _deadline_id(uow: UnitOfWork, public_id: str, timer: str) -> int:
    if timer.isdigit() and len(timer) < 12:
        return int(timer)
    ids = list(
        uow.session.scalars(
            select(Deadline.id)
            .join(Case, Case.id == Deadline.case_id)
            .where(
                Case.public_id == public_id, Deadline.element_id == timer[:200], Deadline.status == "pending"
            )
        )
    )
    if len(ids) > 1:
        fail(f"{timer}: {len(ids)} timers of this element wait; name one by its number (timers list)", 1)
    return ids[0] if ids else 0  # 0: no such timer, which cancel_deadline refuses naming the field

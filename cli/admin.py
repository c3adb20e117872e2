"""``casepath users|timers|audit``: operators' commands."""

from __future__ import annotations

import sys

import click

from cli.main import Context, console, err, fail, parse_when, pass_ctx
from engine import audit, timers
from engine.clock import FrozenClock, isoformat_local
from engine.credentials import MAX_TOKEN_DAYS
from engine.errors import CasepathError
from engine.permissions import SYSTEM
from engine.roles import ROLE_CODES


def register(main: click.Group) -> None:
    main.add_command(users_group)
    main.add_command(timers_group)
    main.add_command(audit_group)


def _fail_with(error: CasepathError) -> None:
    fields = getattr(error, "fields", {})
    details = "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in fields.items())
    fail(f"{error.message}{' (' + details + ')' if details else ''}", 1)


@click.group("users")
def users_group() -> None:
    """Staff accounts."""


@users_group.command("create")
@click.argument("username")
@click.option("--centre", "centre", required=True, help="centre code, e.g. kc-demo")
@click.option("--role", "role", required=True, type=click.Choice(sorted(ROLE_CODES)))
@click.option("--name", "display_name", default="", help="full name shown to colleagues")
@pass_ctx
def users_create(ctx: Context, username: str, centre: str, role: str, display_name: str) -> None:
    """Create USERNAME with ROLE in CENTRE; the password comes from stdin or a prompt."""
    from engine.users import create_user

    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        with ctx.services.uow() as uow:
            create_user(uow, SYSTEM, username, password, centre, role, display_name)
            uow.commit()
    except CasepathError as error:
        _fail_with(error)
    console.print(f"user {username.lower()} is {role} in {centre}")


@users_group.command("token")
@click.argument("username")
@click.option(
    "--days",
    "days",
    type=click.IntRange(1, MAX_TOKEN_DAYS),
    default=None,
    help="valid for this many days (default: CASEPATH_TOKEN_DAYS, 90)",
)
@pass_ctx
def users_token(ctx: Context, username: str, days: int | None) -> None:
    """Print a new personal API token for USERNAME (only the token, on stdout)."""
    from engine.users import issue_token

    try:
        with ctx.services.uow() as uow:
            token = issue_token(uow, SYSTEM, username, days or ctx.services.settings.token_days)
            uow.commit()
    except CasepathError as error:
        _fail_with(error)
    click.echo(token)


@users_group.command("revoke-tokens")
@click.argument("username")
@pass_ctx
def users_revoke_tokens(ctx: Context, username: str) -> None:
    """Revoke every personal API token of USERNAME at once."""
    from engine.users import revoke_tokens

    try:
        with ctx.services.uow() as uow:
            revoked = revoke_tokens(uow, SYSTEM, username)
            uow.commit()
    except CasepathError as error:
        _fail_with(error)
    console.print(f"revoked {revoked} tokens of {username.strip().lower()}", markup=False)


@click.group("timers")
def timers_group() -> None:
    """Deadlines: list them, fire the due ones."""


@timers_group.command("sweep")
@click.option("--now", "now", default=None, help="fire as if it were this instant (ISO 8601)")
@pass_ctx
def timers_sweep(ctx: Context, now: str | None) -> None:
    """Fire every due deadline once."""
    services = ctx.services
    at = parse_when(now, "--now")
    clock = FrozenClock(at) if at is not None else services.clock
    runner = "cli" if at is None else ""  # a sweep "as if" at another instant says nothing about health
    fired = timers.sweep(lambda: services.uow(clock), services.forms, runner=runner)
    console.print(f"fired {fired} deadlines")


@timers_group.command("list")
@click.option("--due-before", "due_before", default=None, help="only deadlines due before this instant")
@pass_ctx
def timers_list(ctx: Context, due_before: str | None) -> None:
    """List pending deadlines, earliest first."""
    before = parse_when(due_before, "--due-before")
    with ctx.services.uow() as uow:
        rows = timers.pending_deadlines(uow, before)
        for row in rows:
            console.print(
                f"{row.id:>7}  {isoformat_local(row.due_at)}  case #{row.case_id}  {row.kind}", markup=False
            )
    console.print(f"{len(rows)} pending deadlines")


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check the hash chain; report the first broken entry."""
    with ctx.services.uow() as uow:
        checked, broken = audit.verify(uow.session)
    if broken is not None:
        err.print(
            f"audit chain broken at entry {broken.entry_id}: {broken.reason} "
            f"({checked} entries before it are intact)"
        )
        sys.exit(1)
    console.print(f"audit chain intact: {checked} entries")

"""``casepath users|timers|audit``: operators' commands."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from cli.main import Context, console, err, fail, parse_when, pass_ctx
from engine.audit import chain
from engine.casework import deadlines
from engine.clock import FrozenClock, isoformat_local
from engine.errors import CasepathError
from engine.people.credentials import MAX_TOKEN_DAYS
from engine.people.permissions import SYSTEM
from engine.people.roles import ROLE_CODES
from engine.store.uow import in_transaction


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
    """Create the new user USERNAME with ROLE in CENTRE; the password comes from stdin or a prompt.

    An existing USERNAME is refused (its password is never reset here): use `users grant` to give
    an existing user a role in another centre.
    """
    from engine.people.users import create_user

    password = _read_password()
    try:
        with ctx.services.uow() as uow:
            create_user(uow, SYSTEM, username, password, centre, role, display_name)
            uow.commit()
    except CasepathError as error:
        _fail_with(error)
    console.print(f"user {username.lower()} is {role} in {centre}")


@users_group.command("password")
@click.argument("username")
@pass_ctx
def users_password(ctx: Context, username: str) -> None:
    """Set a new password for USERNAME (from stdin or a prompt); their sessions and tokens end."""
    from engine.people.users import set_password

    password = _read_password()
    try:
        with ctx.services.uow() as uow:
            set_password(uow, SYSTEM, username, password)
            uow.commit()
    except CasepathError as error:
        _fail_with(error)
    console.print(f"new password for {username.lower()}; their sessions and tokens have ended")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\n")


@users_group.command("grant")
@click.argument("username")
@click.option("--centre", "centre", required=True, help="centre code, e.g. kc-demo")
@click.option("--role", "role", required=True, type=click.Choice(sorted(ROLE_CODES)))
@pass_ctx
def users_grant(ctx: Context, username: str, centre: str, role: str) -> None:
    """Give the existing user USERNAME ROLE in CENTRE (their role there, if any, is replaced)."""
    from engine.people.users import grant_role

    try:
        with ctx.services.uow() as uow:
            grant_role(uow, SYSTEM, username, centre, role)
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
    from engine.people.users import issue_token

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
    from engine.people.users import revoke_tokens

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
    fired = deadlines.sweep(lambda: services.uow(clock), runner=runner)
    _seal_all(services)  # from cron, this is the sealer too (engine/audit/chain.py)
    console.print(f"fired {fired} deadlines")


@timers_group.command("list")
@click.option("--due-before", "due_before", default=None, help="only deadlines due before this instant")
@pass_ctx
def timers_list(ctx: Context, due_before: str | None) -> None:
    """List pending deadlines, earliest first."""
    before = parse_when(due_before, "--due-before")
    with ctx.services.uow(writer=False) as uow:
        rows = deadlines.pending_deadlines(uow, before)
        for row in rows:
            console.print(
                f"{row.id:>7}  {isoformat_local(row.due_at)}  case #{row.case_id}  {row.kind}", markup=False
            )
    console.print(f"{len(rows)} pending deadlines")


@click.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@click.option(
    "--anchors",
    "anchors_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="a file of heads printed by 'casepath audit anchor': each must still be in the chain",
)
@pass_ctx
def audit_verify(ctx: Context, anchors_file: Path | None) -> None:
    """Seal pending entries, check the hash chain; report the first broken entry."""
    anchors = _read_anchors(anchors_file) if anchors_file is not None else []
    services = ctx.services
    _seal_all(services)
    with services.uow(writer=False) as uow:
        checked, broken = chain.verify(uow.session, services.clock.now())
        lost = chain.check_anchors(uow.session, anchors)
    if broken is not None:
        err.print(
            f"audit chain broken at entry {broken.entry_id}: {broken.reason} "
            f"({checked} entries before it are intact)"
        )
        sys.exit(1)
    if lost is not None:
        err.print(f"audit chain does not contain the published head seq={lost.seq}: rewritten or truncated")
        sys.exit(1)
    console.print(f"audit chain intact: {checked} entries" + (f", {len(anchors)} anchors" if anchors else ""))


@audit_group.command("anchor")
@click.option(
    "--append",
    "append_to",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="also append the line to this file (keep it outside the database's machine)",
)
@pass_ctx
def audit_anchor(ctx: Context, append_to: Path | None) -> None:
    """Seal pending entries and print the chain's head, to be kept outside the database."""
    services = ctx.services
    _seal_all(services)
    with services.uow(writer=False) as uow:
        head = chain.head(uow.session)
    if head is None:
        fail("the audit trail is empty: nothing to anchor", 1)
        return
    line = f"{ANCHOR_PREFIX} {services.clock.now().isoformat()} seq={head.seq} hash={head.hash}"
    if append_to is not None:
        try:
            with append_to.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError as error:
            fail(f"--append: cannot write {append_to}: {error.strerror}", 1)
    click.echo(line)


ANCHOR_PREFIX = "casepath-audit-anchor"


def _seal_all(services: Any) -> int:
    """Seal every pending entry, one batch per transaction."""
    total = 0
    while True:
        sealed = in_transaction(services.uow, lambda uow: chain.seal(uow.session))
        total += sealed
        if sealed < chain.SEAL_BATCH:
            return total


def _read_anchors(path: Path) -> list[chain.Head]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        fail(f"--anchors: cannot read {path}: {getattr(error, 'strerror', None) or 'not UTF-8 text'}", 1)
        return []
    heads = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        match = _ANCHOR_LINE.fullmatch(line.strip())
        if match is None:
            fail(f"--anchors: line {number} of {path} is not a line printed by 'casepath audit anchor'", 1)
            return []
        heads.append(chain.Head(int(match["seq"]), match["hash"]))
    return heads


_ANCHOR_LINE = re.compile(ANCHOR_PREFIX + r" \S+ seq=(?P<seq>[0-9]{1,18}) hash=(?P<hash>[0-9a-f]{64})")

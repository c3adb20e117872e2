"""The ``casepath`` command: a thin adapter over engine services, like ``web`` and ``tasks``.

Exit codes: 0 success, 1 a verdict or check that failed (invalid pathway, incident, broken chain),
2 usage or I/O errors. Errors are one readable line, never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from engine.clock import parse_instant
from engine.config import Settings, load_settings
from engine.errors import CasepathError

console = Console(highlight=False, soft_wrap=True)  # never wrap: scripts read these lines
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Context:
    """Settings and the database, opened lazily so ``--help`` and ``check`` need no database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._services: Any = None

    @property
    def services(self) -> Any:
        if self._services is None:
            from engine.services import Services

            self._services = Services.from_settings(self.settings)
        return self._services


pass_ctx = click.make_pass_decorator(Context)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    sys.exit(code)


def parse_when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        fail(f"{option}: not an ISO 8601 date or datetime: {value!r}")
    return None


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Casepath: BPMN case pathways for crisis centres and community support centres."""
    try:
        settings = load_settings()
    except ValueError as error:  # a CASEPATH_* setting that does not fit: the message names it
        fail(str(error))
    ctx.obj = Context(settings)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Upgrade the database to the newest schema."""
    from engine.store import schema

    schema.upgrade(ctx.settings.database_url)
    console.print("database is up to date")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@pass_ctx
def serve(ctx: Context, host: str, port: int) -> None:
    """Start the web app (a development server; production runs gunicorn)."""
    from engine.private_logs import configure_logging
    from web.access_log import PrivateRequestHandler
    from web.app import create_app

    configure_logging()  # no names, search texts or SQL parameters in what this process prints
    app = create_app(ctx.settings.with_(run_sweeper=True))  # without Redis, deadlines fire in here
    console.print(f"Casepath on http://{host}:{port}")
    app.run(host=host, port=port, debug=False, use_reloader=False, request_handler=PrivateRequestHandler)


@main.command()
@pass_ctx
def demo(ctx: Context) -> None:
    """Load demo centres, users and cases (idempotent)."""
    from rich.progress import Progress

    from cli.demo import load_demo

    with Progress(console=console, transient=False) as progress:
        bar = progress.add_task("demo cases", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        summary = load_demo(ctx.services, advance)
    console.print(summary)


@main.group()
def occupancy() -> None:
    """Each centre's residents per day, for the dashboard's occupancy chart."""


@occupancy.command("record")
@click.option("--from", "first", help="first day, YYYY-MM-DD (default: today)")
@click.option("--to", "last", help="last day, YYYY-MM-DD (default: today)")
@pass_ctx
def occupancy_record(ctx: Context, first: str | None, last: str | None) -> None:
    """(Re)write the days' rows for every centre, on demand (the daily beat task does yesterday and today)."""
    from datetime import date

    from engine.clock import local_date
    from engine.errors import ValidationFailed
    from engine.reports.occupancy import record_days

    def day(value: str | None, option: str, default: date) -> date:
        try:
            return date.fromisoformat(value) if value else default
        except ValueError:
            fail(f"{option}: a date as YYYY-MM-DD")

    with ctx.services.uow() as uow:
        today = local_date(uow.clock.now())
        start, end = day(first, "--from", today), day(last, "--to", today)
        if end < start:
            fail("--to: on or after --from")
        try:
            written = record_days(uow, start, end)
        except ValidationFailed as error:
            fail("; ".join(f"--{name}: {' '.join(texts)}" for name, texts in error.fields.items()))
        uow.commit()
    console.print(f"occupancy_days_written {written}")


from cli import admin, case_commands, mail_commands, pathway_commands  # noqa: E402  (command groups register on main)

admin.register(main)
pathway_commands.register(main)
mail_commands.register(main)
case_commands.register(main)


def run() -> None:
    try:
        main(standalone_mode=True)
    except CasepathError as error:
        fail(error.message, 1)


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        fail(f"{path}: {error.strerror or error}")
    return b""

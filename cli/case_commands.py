"""``casepath cases message``: deliver a message a case's pathway waits for, from the server's shell."""

from __future__ import annotations

import json
from typing import Any

import click

from cli.main import Context, console, fail, pass_ctx
from engine.casework.messages import deliver_message, find_case
from engine.casework.routines import open_routine
from engine.errors import CasepathError, ValidationFailed
from engine.people.permissions import SYSTEM
from engine.people.users import get_user, principal_for


def register(main: click.Group) -> None:
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

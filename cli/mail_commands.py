"""``casepath mail list|retry|deliver``: the e-mail outbox as operators see and nudge it."""

from __future__ import annotations

import click

from cli.main import Context, console, fail, pass_ctx
from engine.clock import isoformat_local
from engine.errors import CasepathError
from engine.notify import outbox


def register(main: click.Group) -> None:
    main.add_command(mail_group)


@click.group("mail")
def mail_group() -> None:
    """Notification e-mails: their state in the outbox, retries, delivery now."""


@mail_group.command("list")
@click.option("--state", "state", default=None, type=click.Choice(outbox.STATES), help="only this state")
@click.option("--limit", "limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@pass_ctx
def mail_list(ctx: Context, state: str | None, limit: int) -> None:
    """E-mails in the outbox, newest first, then how many are in each state."""
    with ctx.services.uow(writer=False) as uow:
        rows = outbox.list_mail(uow, state, limit)
        totals = outbox.counts(uow)
    for row in rows:
        sent = isoformat_local(row.sent_at) if row.sent_at else "-"
        console.print(
            f"{row.id:>7}  {row.status:<8}  attempts {row.attempts}  "
            f"next {isoformat_local(row.next_attempt_at)}  sent {sent}  "
            f"{row.last_error or '-'}  {row.kind}",
            markup=False,
        )
    console.print(", ".join(f"{totals[name]} {name}" for name in outbox.STATES))


@mail_group.command("retry")
@click.argument("outbox_id", metavar="ID", type=click.IntRange(1, outbox.MAX_ID))
@pass_ctx
def mail_retry(ctx: Context, outbox_id: int) -> None:
    """Try e-mail ID again at the next delivery (one more attempt, even after it was given up)."""
    try:
        with ctx.services.uow() as uow:
            row = outbox.retry(uow, outbox_id)
            uow.commit()
    except CasepathError as error:
        fail(f"e-mail {outbox_id}: {error.message}", 1)
    console.print(f"e-mail {row.id} is pending again (attempts so far: {row.attempts})")


@mail_group.command("deliver")
@pass_ctx
def mail_deliver(ctx: Context) -> None:
    """Send the e-mails that are due now, here (the workers or the embedded sweeper usually do)."""
    services = ctx.services
    if services.mailer is None:
        fail("no mail server configured: set CASEPATH_SMTP_HOST")
    run = outbox.deliver_due(services.uow, services.mailer, services.settings.base_url, limit=10_000)
    console.print(f"sent {run.sent} e-mails, {run.failed} failed")
    if run.failed:
        raise SystemExit(1)

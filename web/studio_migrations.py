"""The studio's "Migrate running cases" page: choose the versions, see each case's preview (a dry run),
execute, follow the progress, approve (a manager) and revert. Every action goes through the same engine
calls as ``/api/v1/pathways/{key}/migrations``; ``web/assets/migrate.js`` runs a batch through the API
and polls its progress, and without scripts the buttons are plain forms.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework.migration import batch as batches
from engine.casework.migration.revert import revert as revert_batch
from engine.errors import ValidationFailed
from engine.pathways import studio
from web.db import current_services, discard_changes, reads_only, request_uow
from web.migration_text import change_text, named
from web.security import current_principal, require_sign_in

bp = Blueprint("migrations", __name__)
bp.before_request(require_sign_in)
bp.add_app_template_global(change_text, "change_text")
bp.add_app_template_global(named, "step_name")


def _number(name: str) -> int | None:
    value = request.values.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 8 else None


def _mapping(text: str) -> dict[str, str]:
    pairs = [line.partition("=") for line in text.replace(",", "\n").splitlines() if line.strip()]
    bad = [old for old, sep, new in pairs if not sep or not old.strip() or not new.strip()]
    if bad:
        raise ValidationFailed("write each mapping as OLD=NEW", {"mapping": ["OLD=NEW"]})
    return {old.strip(): new.strip() for old, _sep, new in pairs}


@bp.get("/pathways/<key>/migrate")
@reads_only
def plan(key: str) -> Any:
    who, uow = current_principal(), request_uow()
    found = studio.list_versions(uow, who, key)
    batches.authorise(uow, who, key)
    source, target = _number("from"), _number("to")
    mapping_text = request.args.get("map", "")[:4000]
    preview = None
    if source is not None and target is not None:
        try:
            preview = batches.plan(
                uow, who, key, source, target, current_services().forms, mapping=_mapping(mapping_text)
            )
        except ValidationFailed as error:
            flash(_("The migration cannot be planned: %(reason)s", reason=_field_errors(error)), "error")
    return render_template(
        "studio_migrate.html", key=key, versions=found, source=source, target=target,
        mapping=mapping_text, preview=preview,
    )  # fmt: skip


def _field_errors(error: ValidationFailed) -> str:
    return "; ".join(f"{name}: {', '.join(texts)}" for name, texts in sorted(error.fields.items()))


@bp.post("/pathways/<key>/migrate")
def execute(key: str) -> Any:
    discard_changes()
    services, who = current_services(), current_principal()
    with services.uow(writer=False) as uow:
        batches.authorise(uow, who, key)
    source, target = _number("from"), _number("to")
    if source is None or target is None:
        flash(_("Choose the version the cases are on and the one to move them to."), "error")
        return redirect(url_for("migrations.plan", key=key))
    outcome = batches.store_plan(
        services.uow, who, key, source, target, services.forms,
        mapping=_mapping(request.form.get("map", "")[:4000]), dry_run=False,
    )  # fmt: skip
    if outcome.status == batches.AWAITING:
        flash(_("The migration moves clocks: it waits for a manager's approval."), "success")
    return redirect(url_for("migrations.batch", batch=outcome.batch))


@bp.get("/migrations/<int:batch>")
@reads_only
def batch(batch: int) -> Any:
    view = batches.view_batch(request_uow(), current_principal(), batch)
    return render_template("studio_migration.html", batch=view)


@bp.post("/migrations/<int:batch>/run")
def run(batch: int) -> Any:
    discard_changes()
    services = current_services()
    batches.run(services.uow, current_principal(), batch, services.forms)
    return redirect(url_for("migrations.batch", batch=batch))


@bp.post("/migrations/<int:batch>/approve")
def approve(batch: int) -> Any:
    discard_changes()
    services, who = current_services(), current_principal()
    batches.approve_and_run(services.uow, who, batch, services.forms)
    flash(_("Approved: the cases were migrated."), "success")
    return redirect(url_for("migrations.batch", batch=batch))


@bp.post("/migrations/<int:batch>/revert")
def revert(batch: int) -> Any:
    discard_changes()
    outcomes = revert_batch(current_services().uow, current_principal(), batch)
    reverted = sum(item.verdict == "reverted" for item in outcomes)
    flash(_("Reverted %(count)d case(s).", count=reverted), "success")
    return redirect(url_for("migrations.batch", batch=batch))

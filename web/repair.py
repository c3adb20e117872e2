"""Repair a case (coordinators and managers of its centre): suspend, resume, move its token, cancel a timer.

Plain forms, no script. Every action asks for a reason; a refused one shows the page again with the
field named (422), nothing stored. The page shows the case's number, position and dates, never its
content.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import repair
from engine.casework.read import repair_view
from engine.errors import ValidationFailed
from web.db import discard_changes, reads_only, request_uow
from web.field_messages import translated
from web.security import current_principal, require_sign_in

bp = Blueprint("repair", __name__)
bp.before_request(require_sign_in)


@bp.get("/cases/<case_id>/repair")
@reads_only
def show(case_id: str) -> Any:
    return _page(case_id)


def _page(
    case_id: str, action: str = "", errors: dict[str, list[str]] | None = None, status: int = 200
) -> Any:
    view = repair_view.repair_view(request_uow(), current_principal(), case_id)
    shown = translated(errors or {})
    page = render_template(
        "repair.html",
        view=view,
        action=action,
        errors=shown,
        reason=request.form.get("reason", "") if errors else "",
        max_reason=repair.MAX_REASON,
    )
    return page, status


@bp.get("/repair")
@reads_only
def find() -> Any:
    """The incidents page's box: a case number → its repair page."""
    number = request.args.get("number", "")
    if not number.strip():
        return redirect(url_for("incidents.index"))
    public_id = repair_view.find_case_id(request_uow(), current_principal(), number)
    return redirect(url_for("repair.show", case_id=public_id))


def _act(case_id: str, action: str, work: Any, done: str) -> Any:
    try:
        work()
    except ValidationFailed as error:
        discard_changes()
        flash(_("Nothing was changed: please check the marked fields."), "error")
        return _page(case_id, action, error.fields or {"reason": [error.message]}, status=422)
    flash(done, "success")
    return redirect(url_for("repair.show", case_id=case_id))


def _reason() -> str:
    return request.form.get("reason", "")[: repair.MAX_REASON + 1]  # one more: too long is refused, not cut


@bp.post("/cases/<case_id>/repair/suspend")
def suspend(case_id: str) -> Any:
    who = current_principal()
    return _act(
        case_id,
        "suspend",
        lambda: repair.suspend_case(request_uow(), who, case_id, _reason()),
        _("The case is suspended: its timers hold and its tasks wait."),
    )


@bp.post("/cases/<case_id>/repair/resume")
def resume(case_id: str) -> Any:
    who = current_principal()
    return _act(
        case_id,
        "resume",
        lambda: repair.resume_case(request_uow(), who, case_id, _reason()),
        _("The case runs again."),
    )


@bp.post("/cases/<case_id>/repair/move")
def move(case_id: str) -> Any:
    who = current_principal()
    element = request.form.get("element_id", "")[:200]
    return _act(
        case_id,
        "move",
        lambda: repair.move_case(request_uow(), who, case_id, element, _reason()),
        _("The case is moved to the chosen step."),
    )


@bp.post("/cases/<case_id>/repair/deadlines/<int:deadline_id>/cancel")
def cancel_timer(case_id: str, deadline_id: int) -> Any:
    who = current_principal()
    return _act(
        case_id,
        f"cancel-{deadline_id}",
        lambda: repair.cancel_deadline(request_uow(), who, case_id, deadline_id, _reason()),
        _("The timer is cancelled."),
    )

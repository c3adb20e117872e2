"""The inbox page, and taking, releasing and reassigning tasks."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import inbox
from engine.people.permissions import can_use_inbox, require
from web.auth import safe_next
from web.db import reads_only, request_uow
from web.query import id_arg, page_arg
from web.security import current_principal, require_sign_in

bp = Blueprint("inbox", __name__)
bp.before_request(require_sign_in)


def _filters() -> inbox.InboxFilters:
    args = request.args
    return inbox.InboxFilters(
        scope=args.get("scope", "all") or "all",
        centre_id=id_arg("centre"),
        pathway=args.get("pathway", ""),
        task_type=args.get("task_type", ""),
        due=args.get("due", ""),
        assignee=args.get("assignee", ""),
        led=args.get("led") == "1",
    )


@bp.get("/inbox")
@reads_only
def index() -> Any:
    who = current_principal()
    require(can_use_inbox(who), "the inbox is for staff who work on cases")
    filters = _filters()
    page = inbox.list_inbox(request_uow(), who, filters, page_arg())
    assignees = inbox.assignee_options(request_uow(), who) if filters.scope == "team" else {}
    return render_template("inbox.html", page=page, filters=filters, assignees=assignees)


def _back() -> Any:
    return redirect(safe_next(request.form.get("next"), url_for("inbox.index")))


@bp.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Any:
    inbox.claim(request_uow(), current_principal(), task_id)
    flash(_("The task is yours now."), "success")
    return _back()


@bp.post("/tasks/<task_id>/unclaim")
def unclaim(task_id: str) -> Any:
    inbox.unclaim(request_uow(), current_principal(), task_id)
    flash(_("The task is back with the team."), "success")
    return _back()


@bp.post("/tasks/<task_id>/reassign")
def reassign(task_id: str) -> Any:
    username = request.form.get("assignee", "").strip() or None
    inbox.reassign(request_uow(), current_principal(), task_id, username)
    flash(_("The task was reassigned."), "success")
    return _back()

"""The inbox page (search, sort, paging, saved filters), the team's workload, and taking, releasing
and reassigning tasks.

Every filter is a query parameter (``scope``, ``centre``, ``pathway``, ``task_type``, ``due``, ``q``,
``sort``, ``holder``, ``page``), so any inbox view has an address others can link to. ``q`` may be a
person's name: the access logs print paths without query strings (``web/access_log.py``,
``web/gunicorn_conf.py``) and SQL parameters are hidden from errors (``engine.store.db``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import inbox
from engine.casework.inbox import saved, workload
from engine.people.permissions import can_use_inbox, require
from web.auth import safe_next
from web.db import reads_only, request_uow
from web.query import id_arg, page_arg
from web.security import current_principal, require_sign_in

bp = Blueprint("inbox", __name__)
bp.before_request(require_sign_in)


def _filters(args: Any = None) -> inbox.InboxFilters:
    args = request.args if args is None else args
    return inbox.InboxFilters(
        scope=args.get("scope", "all") or "all",
        centre_id=id_arg("centre", args),
        pathway=args.get("pathway", ""),
        task_type=args.get("task_type", ""),
        due=args.get("due", ""),
        q=args.get("q", ""),
        sort=args.get("sort", "due") or "due",
        holder=id_arg("holder", args),
        assignee=args.get("assignee", ""),
        led=args.get("led") == "1",
    )


def filter_args(filters: inbox.InboxFilters, **changes: Any) -> dict[str, Any]:
    """The query parameters of ``filters`` (with ``changes``), for links that keep the other filters."""
    values = {
        "scope": filters.scope,
        "centre": filters.centre_id,
        "pathway": filters.pathway,
        "task_type": filters.task_type,
        "due": filters.due,
        "q": filters.q,
        "sort": filters.sort,
        "holder": filters.holder,
        "assignee": filters.assignee,
        "led": "1" if filters.led else "",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value not in (None, "")}


@bp.get("/inbox")
@reads_only
def index() -> Any:
    who = current_principal()
    require(can_use_inbox(who), "the inbox is for staff who work on cases")
    filters = _filters()
    uow = request_uow()
    page = inbox.list_inbox(uow, who, filters, page_arg())
    assignees = inbox.assignee_options(uow, who) if page.can_see_team else {}
    return render_template(
        "inbox.html",
        page=page,
        filters=filters,
        assignees=assignees,
        saved_filters=saved.list_filters(uow, who),
        filter_args=filter_args,
    )


@bp.post("/inbox/filters")
def save_filter() -> Any:
    who = current_principal()
    filters = _filters(request.form)
    saved.save_filter(request_uow(), who, request.form.get("name", ""), filters)
    flash(_("The filter is saved."), "success")
    return redirect(url_for("inbox.index", **filter_args(filters)))


@bp.post("/inbox/filters/<int(max=2147483647):filter_id>/delete")
def delete_filter(filter_id: int) -> Any:
    saved.delete_filter(request_uow(), current_principal(), filter_id)
    flash(_("The filter is deleted."), "success")
    return redirect(url_for("inbox.index"))


@bp.get("/inbox/workload")
@reads_only
def team_workload() -> Any:
    rows = workload.team_workload(request_uow(), current_principal())
    return render_template("workload.html", rows=rows)


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
    flash(_("The task was reassigned.") if username else _("The task was released."), "success")
    return _back()

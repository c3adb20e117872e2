"""The signed-in user's notifications: the header badge, the list, and marking them read.

A user only ever sees and marks their own: the list is read by the session's user id, and someone
else's notification does not exist for them (404). Texts carry the case number only (never a name or
an address); the link goes to the case by its opaque id.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from engine.notify import notifications, preferences
from engine.people.permissions import Principal
from web.auth import safe_next
from web.db import reads_only, request_uow
from web.notification_texts import kind_label, notification_text
from web.query import page_arg
from web.security import current_principal, require_sign_in

bp = Blueprint("notifications", __name__)
bp.before_request(require_sign_in)


def unread_badge(principal: Principal | None) -> int | None:
    """The header's count of unread notifications: one small indexed query per page, none for nobody."""
    if principal is None or principal.user_id is None:
        return None
    return notifications.unread_count(request_uow(), principal.user_id)


@bp.get("/notifications")
@reads_only
def index() -> Any:
    page = page_arg()
    found = notifications.list_for(request_uow(), current_principal().user_id or 0, page)  # 0: nobody's
    return render_template("notifications.html", page=found, text_of=notification_text)


@bp.get("/notifications/preferences")
@reads_only
def show_preferences() -> Any:
    choices = preferences.email_choices(request_uow(), current_principal().user_id or 0)
    return render_template("notification_preferences.html", choices=choices, kind_label=kind_label)


@bp.post("/notifications/preferences")
def save_preferences() -> Any:
    preferences.set_email_choices(request_uow(), current_principal(), request.form.getlist("email"))
    flash(_("Your choices are saved."), "success")
    return redirect(url_for("notifications.show_preferences"))


@bp.post("/notifications/<int(max=2147483647):notification_id>/read")
def read(notification_id: int) -> Any:
    notifications.mark_read(request_uow(), current_principal(), notification_id)
    return _back()


@bp.post("/notifications/read-all")
def read_all() -> Any:
    count = notifications.mark_all_read(request_uow(), current_principal())
    flash(
        ngettext("%(num)d notification marked read.", "%(num)d notifications marked read.", count), "success"
    )
    return _back()


def _back() -> Any:
    return redirect(safe_next(request.form.get("next"), url_for("notifications.index")))

"""The task page: its form, drafts, completing it, what comes next, comments and the follow-up date."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.casework import drafts, task_notes
from engine.casework.cases import CASE_SUSPENDED, complete_task, forms_of_task, get_task
from engine.casework.read import taskfile
from engine.errors import ConcurrencyConflict, ValidationFailed
from engine.pathways.form_versions import forms_of_version
from engine.pathways.forms import Form
from engine.people.centres import centres_of_kind
from web.db import current_services, discard_changes, request_uow
from web.field_messages import translated
from web.forms_render import Choice, choice_lists_of, form_fields, parse_submission, shown_data
from web.i18n import locale
from web.security import current_principal, require_sign_in

bp = Blueprint("task", __name__)
bp.before_request(require_sign_in)


def _form(form_key: str, pathway_version_id: int) -> Form | None:
    """The task's form as the case's pathway version was deployed with it."""
    forms = forms_of_version(request_uow(), pathway_version_id, current_services().forms)
    return forms.get(form_key) if form_key and forms.exists(form_key) else None


def choice_lists(form: Form) -> dict[str, list[Choice]]:
    """The centres a form may offer (codes and names only, never an address)."""
    if "crisis_centres" not in choice_lists_of(form):
        return {}
    centres = centres_of_kind(request_uow(), "crisis_centre")
    return {"crisis_centres": [Choice(code, f"{name} ({code})") for code, name in centres]}


def render_task(
    task_id: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    conflict: str = "",
    status: int = 200,
) -> Any:
    view = taskfile.read_task(request_uow(), current_principal(), task_id)
    form = _form(view.task.form_key, view.pathway_version_id)
    lang = locale()
    errors = translated(errors) if errors else errors
    if values is None:
        values = view.draft if view.task.status == "open" else view.data
    fields = form_fields(form, values, errors, lang, choice_lists(form)) if form is not None else []
    done = (
        shown_data(form, view.data or {}, lang, _("yes"), _("no")) if view.task.status == "completed" else []
    )
    general = (errors or {}).get("_form", []) + (errors or {}).get("data", [])
    page = render_template(
        "task.html",
        view=view,
        form=form,
        heading=form.title(lang) if form is not None else view.task.name,
        form_help=form.schema.get("x-description-en" if lang == "en" else "description", "") if form else "",
        fields=fields,
        done=done,
        conflict=conflict,
        general_errors=general,
        has_draft=bool(view.draft),
    )
    return page, status


@bp.get("/tasks/<task_id>")
def show(task_id: str) -> Any:
    return render_task(task_id)


def _submitted(task_id: str) -> dict[str, Any]:
    task = get_task(request_uow(), task_id)
    forms = forms_of_task(request_uow(), task, current_services().forms)
    form = forms.get(task.form_key) if task.form_key and forms.exists(task.form_key) else None
    return parse_submission(form, request.form) if form is not None else {}


@bp.post("/tasks/<task_id>/complete")
def complete(task_id: str) -> Any:
    data = _submitted(task_id)
    services = current_services()
    try:
        complete_task(request_uow(), current_principal(), task_id, data, services.forms)
    except ValidationFailed as error:
        discard_changes()
        return render_task(task_id, data, error.fields, status=422)
    except ConcurrencyConflict as error:
        discard_changes()
        return render_task(task_id, data, conflict=_conflict(error), status=409)
    flash(_("The task is completed."), "success")
    return redirect(url_for("task.show", task_id=task_id))


@bp.post("/tasks/<task_id>/draft")
def draft(task_id: str) -> Any:
    data = _submitted(task_id)
    try:
        drafts.save_draft(request_uow(), current_principal(), task_id, data, current_services().forms)
    except ConcurrencyConflict as error:
        discard_changes()
        return render_task(task_id, data, conflict=_conflict(error), status=409)
    flash(_("The draft is saved. You can come back to it later."), "success")
    return redirect(url_for("task.show", task_id=task_id))


@bp.post("/tasks/<task_id>/comments")
def comment(task_id: str) -> Any:
    task_notes.add_comment(request_uow(), current_principal(), task_id, request.form.get("body", ""))
    flash(_("The comment is added."), "success")
    return redirect(url_for("task.show", task_id=task_id) + "#comments-heading")


@bp.post("/tasks/<task_id>/follow-up")
def follow_up(task_id: str) -> Any:
    raw = "" if request.form.get("action") == "clear" else request.form.get("follow_up_on", "").strip()
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValidationFailed(
            "not a date", {"follow_up_on": [_("Enter a date such as %(example)s.", example="2026-12-31")]}
        ) from None
    task_notes.set_follow_up(request_uow(), current_principal(), task_id, day)
    flash(_("The follow-up date is set.") if day else _("The follow-up date is cleared."), "success")
    return redirect(url_for("task.show", task_id=task_id))


def _conflict(error: ConcurrencyConflict) -> str:
    """What the page says of a refusal: "suspended" (a coordinator holds the case), else the message."""
    return "suspended" if error.message == CASE_SUSPENDED else error.message

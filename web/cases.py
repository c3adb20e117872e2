"""Case pages: the list, the case file, its diagram, events, retry, closing, and who read it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.casework import attachments, family, inbox, notes
from engine.casework.cases import close_case, get_case, retry_incident, signal_case
from engine.casework.documents import service as documents
from engine.casework.messages import Awaited, deliver_message, forms_for_case, messages_for
from engine.casework.read import case_audit, casefile
from engine.casework.read.case_list import CaseFilters, list_cases
from engine.casework.read.export import write_csv
from engine.clock import SOFIA
from engine.errors import ConcurrencyConflict, ValidationFailed
from engine.pathways.form_versions import forms_of_version
from engine.pathways.forms import FormCatalog
from engine.pathways.names import english_diagram
from engine.people.permissions import (
    can_answer_subject_request,
    can_export_case_list,
    can_use_inbox,
    require,
)
from web.auth import safe_next
from web.case_export import export_response, filters_from
from web.db import current_services, discard_changes, reads_only, request_uow
from web.field_messages import translated
from web.forms_render import Field, form_fields, parse_submission, shown_data
from web.i18n import locale
from web.labels import ACTIONS, label
from web.query import page_arg
from web.security import current_principal, require_sign_in

bp = Blueprint("cases", __name__)
MAX_REASON = 500  # the audit keeps this much of a closing reason
bp.before_request(require_sign_in)


@bp.get("/cases")
@reads_only
def index() -> Any:
    who = current_principal()
    require(can_use_inbox(who), "the case list is for staff who work on cases")
    status = request.args.get("status", "open") or "open"
    search = request.args.get("q", "")
    filters = CaseFilters(
        centre=request.args.get("centre", ""),
        arrived=request.args.get("arrived", ""),
        left=request.args.get("left", ""),
        stay=request.args.get("stay", ""),
        exit_planning=request.args.get("exit_planning", ""),
        led=request.args.get("led") == "1",
    )
    page = list_cases(request_uow(), who, status, search, page_arg(), filters)
    kept = {name: "1" if value is True else value for name, value in vars(filters).items() if value}
    return render_template(
        "cases.html",
        page=page,
        status=status,
        search=search,
        filters=filters,
        kept=kept,
        may_export=can_export_case_list(who),
    )


@bp.get("/cases/export.csv")
def export_csv() -> Any:
    """The case list with the page's filters as CSV: for the managers of a centre, audited."""
    return _export("csv")


@bp.get("/cases/export.xlsx")
def export_xlsx() -> Any:
    """The same as an Excel workbook."""
    return _export("xlsx")


def _export(file_format: str) -> Any:
    status = request.args.get("status", "open") or "open"
    return export_response(file_format, status, request.args.get("q", ""), filters_from(request.args))


@bp.get("/cases/<case_id>")
def show(case_id: str) -> Any:
    return render_case(case_id)


def render_case(
    case_id: str,
    message_name: str = "",
    message_values: dict[str, Any] | None = None,
    message_errors: dict[str, list[str]] | None = None,
    status: int = 200,
    family_values: dict[str, str] | None = None,
    family_errors: dict[str, list[str]] | None = None,
) -> Any:
    """The case page; after a refused message, with that message's form filled in and its errors."""
    who = current_principal()
    case = casefile.read_case(request_uow(), who, case_id)
    forms = forms_of_version(request_uow(), case.pathway_version_id, current_services().forms)
    lang = locale()
    completed = [
        (
            entry,
            shown_data(
                forms.get(entry.form_key) if forms.exists(entry.form_key) else None,
                entry.data,
                lang,
                _("yes"),
                _("no"),
            ),
        )
        for entry in case.completed
    ]
    assignees = (
        inbox.assignee_options(request_uow(), who) if any(t.can_reassign for t in case.current_tasks) else {}
    )
    messages = [
        (
            item,
            _message_fields(forms, item, message_values, message_errors)
            if item.name == message_name
            else _message_fields(forms, item, None, None),
        )
        for item in messages_for(request_uow(), who, case_id)
    ]
    page = render_template(
        "case.html",
        case=case,
        completed=completed,
        assignees=assignees,
        note_kinds=notes.KINDS,
        attachment_kinds=attachments.KINDS,
        upload_max_mb=current_services().settings.attachment_max_mb,
        outgoing=documents.documents_for(request_uow(), who, case_id),
        messages=messages,
        message_error=bool(message_errors),
        family_values=family_values or {},
        family_errors=family_errors or {},
        may_answer_person=can_answer_subject_request(who, case.header),
    )
    return page, status


def _message_fields(
    forms: FormCatalog, item: Awaited, values: dict[str, Any] | None, errors: dict[str, list[str]] | None
) -> list[Field]:
    if not item.form_key or not forms.exists(item.form_key):
        return []
    return form_fields(forms.get(item.form_key), values, translated(errors or {}), locale())


@bp.post("/cases/<case_id>/messages/<name>")
def message(case_id: str, name: str) -> Any:
    """Deliver a message the pathway waits for (a role the element names), with its form's data."""
    forms = forms_for_case(request_uow(), current_principal(), case_id, current_services().forms)
    awaited = {item.name: item for item in messages_for(request_uow(), current_principal(), case_id)}
    item = awaited.get(name[:80])
    form = (
        forms.get(item.form_key)
        if item is not None and item.form_key and forms.exists(item.form_key)
        else None
    )
    data = parse_submission(form, request.form) if form is not None else {}
    try:
        deliver_message(request_uow(), current_principal(), case_id, name[:80], data, forms)
    except ValidationFailed as error:
        discard_changes()
        flash(_("The message was not delivered: please check the marked fields."), "error")
        return render_case(case_id, name, data, error.fields or {"data": [error.message]}, status=400)
    except ConcurrencyConflict as error:
        discard_changes()
        flash(error.message, "error")
        return redirect(url_for("cases.show", case_id=case_id))
    flash(_("The message is recorded and the pathway moved on."), "success")
    return redirect(url_for("cases.show", case_id=case_id))


FAMILY_MESSAGES = {
    family.NO_SUCH_CASE: _l("No case you may open has this number."),
    family.SAME_CASE: _l("This is the same case."),
    family.ALREADY_IN_FAMILY: _l("The child is already linked to a family."),
    family.NOT_A_FAMILY: _l(
        "A family links a parent with her children: one adult's case and a child's (or a child's whose "
        "brother or sister is already linked)."
    ),
}


@bp.post("/cases/<case_id>/family")
def link_family(case_id: str) -> Any:
    """Link an existing case to this case's family (a mother and her child admitted one by one)."""
    number = request.form.get("number", "")[:40]
    case = get_case(request_uow(), current_principal(), case_id)
    try:
        other = family.link_family(request_uow(), current_principal(), case, number)
    except ValidationFailed as error:
        discard_changes()
        errors = {
            name: [str(FAMILY_MESSAGES.get(text, text)) for text in texts]
            for name, texts in error.fields.items()
        }
        return render_case(case_id, status=422, family_values={"number": number}, family_errors=errors)
    flash(_("The case %(number)s is linked as family.", number=other.number), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.get("/cases/<case_id>/diagram.bpmn")
def diagram(case_id: str) -> Any:
    xml = case_audit.case_diagram(request_uow(), current_principal(), case_id)
    if locale() == "en":  # one language a page: the diagram's labels in English where it has them
        xml = english_diagram(xml)
    response = Response(xml, mimetype="application/xml")
    # Opened directly it downloads instead of rendering as a document (the viewer uses fetch()).
    response.headers["Content-Disposition"] = 'attachment; filename="pathway.bpmn"'
    return response


@bp.post("/cases/<case_id>/signal")
def signal(case_id: str) -> Any:
    name = request.form.get("signal", "")[:80]
    signal_case(request_uow(), current_principal(), case_id, name)
    flash(_("The event is recorded and the pathway moved on."), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<case_id>/retry")
def retry(case_id: str) -> Any:
    """Run a case stopped by an error again (coordinators and managers); say whether it moved on."""
    case = retry_incident(request_uow(), current_principal(), case_id)
    if case.status == "incident":
        flash(_("Case %(number)s is still stopped by an error.", number=case.number), "error")
    else:
        flash(_("Case %(number)s is running again.", number=case.number), "success")
    return redirect(safe_next(request.form.get("next"), url_for("incidents.index")))


@bp.post("/cases/<case_id>/close")
def close(case_id: str) -> Any:
    """Close a case by hand with a reason (case lead, manager): open tasks and deadlines are cancelled."""
    reason = request.form.get("reason", "")[:MAX_REASON]
    case = close_case(request_uow(), current_principal(), case_id, reason)
    flash(_("Case %(number)s is closed.", number=case.number), "success")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.get("/cases/<case_id>/audit")
def audit(case_id: str) -> Any:
    entries = case_audit.who_viewed(request_uow(), current_principal(), case_id)
    return render_template("case_audit.html", case_id=case_id, entries=entries)


@bp.get("/cases/<case_id>/audit.csv")
def audit_csv(case_id: str) -> Any:
    entries = case_audit.who_viewed(request_uow(), current_principal(), case_id, export=True)
    header = [_("When"), _("Who"), _("Username"), _("What"), _("About"), _("From address")]
    rows = [
        [
            entry.at.astimezone(SOFIA).isoformat(timespec="seconds"),  # CSV: ISO 8601, Sofia time
            entry.actor_name,
            entry.actor,
            label(ACTIONS, entry.action),
            entry.subject,
            entry.ip,
        ]
        for entry in entries
    ]
    response = Response(write_csv(header, rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="case-{case_id[:12]}-audit.csv"'
    return response

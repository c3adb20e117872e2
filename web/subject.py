"""A person's requests about their data, answered by the manager of the case's centre: everything held
about them (``/cases/<id>/person.json`` and ``.pdf``) and who viewed their file (``/cases/<id>/viewers``,
printable, and ``.pdf``). The engine gathers and audits; this renders the reader's language."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from engine.casework.read.subject import export_subject, who_viewed_file
from web.db import current_services, request_uow
from web.forms_render import shown_data
from web.i18n import locale, show_date, show_datetime
from web.intake import SEXES
from web.labels import label
from web.security import current_principal, require_sign_in
from web.subject_pdf import render_pdf

bp = Blueprint("subject", __name__)
bp.before_request(require_sign_in)


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/cases/<case_id>/person.json")
def person_json(case_id: str) -> Any:
    """Everything held about the person, as JSON (codes, ISO 8601 dates); audited."""
    exported = export_subject(request_uow(), current_principal(), case_id, "json")
    body = json.dumps(exported, ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, "application/json", f"person-{case_id[:12]}.json")


@bp.get("/cases/<case_id>/person.pdf")
def person_pdf(case_id: str) -> Any:
    """The same as a PDF to hand to the person, in the reader's language; audited."""
    exported = export_subject(request_uow(), current_principal(), case_id, "pdf")
    html = render_template("pdf/person.html", data=exported, answers=_answers, when=_when, sex=_sex)
    return _download(render_pdf(html), "application/pdf", f"person-{case_id[:12]}.pdf")


@bp.get("/cases/<case_id>/viewers")
def viewers(case_id: str) -> Any:
    """Who viewed the person's file(s), newest first: printable; audited."""
    entries = who_viewed_file(request_uow(), current_principal(), case_id, "page")
    return render_template("viewers.html", case_id=case_id, entries=entries)


@bp.get("/cases/<case_id>/viewers.pdf")
def viewers_pdf(case_id: str) -> Any:
    entries = who_viewed_file(request_uow(), current_principal(), case_id, "pdf")
    html = render_template("pdf/viewers.html", entries=entries, generated=show_datetime(_now()))
    return _download(render_pdf(html), "application/pdf", f"viewers-{case_id[:12]}.pdf")


def _now() -> datetime:
    return current_services().clock.now()


def _when(value: str | None) -> str:
    """An ISO 8601 date or instant of the export, as the reader's language writes it."""
    if not value:
        return ""
    if len(value) == 10:
        return show_date(date.fromisoformat(value))
    return show_datetime(datetime.fromisoformat(value))


def _sex(code: str) -> str:
    return label(SEXES, code) if code else str(_("not recorded"))


def _answers(form_key: str, data: dict[str, Any]) -> list[Any]:
    forms = current_services().forms
    form = forms.get(form_key) if form_key and forms.exists(form_key) else None
    return shown_data(form, data, locale(), _("yes"), _("no"))

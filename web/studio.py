"""The pathway studio's pages: the editor, the versions of a pathway, a diff, and the approvals.

The editor and the diff are drawn by bpmn-js in the browser (``web/assets/studio.js``,
``web/assets/studio_diff.js``); they talk to the studio's JSON API (``web/api/studio.py``) with the
session cookie. Every page checks permission through the same engine calls as the API.
"""

from __future__ import annotations

import functools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from babel import support
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.bpmn import property_sheet
from engine.errors import NotFound
from engine.pathways import form_list, studio, studio_deploy
from engine.pathways.versions import PathwayInfo, list_pathways
from engine.people.permissions import can_edit_pathway, require
from engine.people.roles import CASEWORK_ROLES
from web.app import MODELER_CSP
from web.db import current_services, reads_only, request_uow
from web.i18n import locale
from web.labels import role_name
from web.security import current_principal, require_sign_in
from web.studio_catalogue import catalogue
from web.studio_words import approval_reason

bp = Blueprint("studio", __name__)
bp.add_app_template_filter(approval_reason, "approval_reason")
bp.before_request(require_sign_in)
TRANSLATIONS = Path(__file__).parent / "translations"


@functools.cache
def _translations(language: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS), [language])


def _translate(language: str, message: str) -> str:
    return str(_translations(language).gettext(message))


def _pathway(key: str) -> PathwayInfo:
    found = next((p for p in list_pathways(request_uow()) if p.key == key), None)
    if found is None:
        abort(404)
    return found


@bp.after_request
def modeler_styles(response: Response) -> Response:
    if request.endpoint == "studio.edit":
        response.headers["Content-Security-Policy"] = MODELER_CSP
    return response


@bp.get("/pathways/<key>/edit")
@reads_only
def edit(key: str) -> Any:
    who = current_principal()
    require(can_edit_pathway(who), studio.ONLY_EDITORS)
    pathway = _pathway(key)
    language = locale()
    forms = form_list.list_forms(request_uow(), who, current_services().forms)  # drafts and new ones too
    editor = {
        "key": key,
        "locale": language,
        "properties": property_sheet.as_json(_translate),
        "roles": [{"value": code, "label": role_name(code)} for code in sorted(CASEWORK_ROLES)],
        "forms": [{"value": f.key, "label": f"{_form_title(f, language)} ({f.key})"} for f in forms],
        "catalogue": catalogue(),
        "api": url_for("api_studio.get_draft", key=key),
        "versions_api": url_for("api_studio.list_versions", key=key),
        "check_api": url_for("api_studio.check_expression"),
        # without a draft the editor opens the latest version, and asks for no draft it would not find
        "has_draft": studio.find_draft(request_uow(), studio.get_pathway(request_uow(), key)) is not None,
    }
    return render_template(
        "studio_edit.html",
        key=key,
        name=pathway.name,
        latest=pathway.version,
        editor=editor,
        try_scenario=json.dumps(_try_scenario(), ensure_ascii=False, indent=1),
    )


def _form_title(form: form_list.FormInfo, language: str) -> str:
    return form.title_en if language == "en" else form.title


def _try_scenario() -> dict[str, Any]:
    """A first scenario to try: admitted today, people do each task on its due date, for a year."""
    today = current_services().clock.now().date()
    return {
        "name": "try",
        "start": f"{today.isoformat()}T10:00:00+03:00",
        "data": {},
        "until": (today + timedelta(days=365)).isoformat(),
        "expect": [{"incident": False}],
    }


@bp.get("/pathways/<key>/versions")
@reads_only
def versions(key: str) -> Any:
    who = current_principal()
    found = studio.list_versions(request_uow(), who, key)
    return render_template(
        "studio_versions.html",
        key=key,
        name=_pathway(key).name,
        versions=found,
        may_edit=can_edit_pathway(who),
    )


@bp.post("/pathways/<key>/versions/<int:number>/draft")
def open_as_draft(key: str, number: int) -> Any:
    studio.open_version_as_draft(request_uow(), current_principal(), key, number, current_services().forms)
    flash(_("Version %(version)d is now the draft.", version=number), "success")
    return redirect(url_for("studio.edit", key=key))


@bp.get("/pathways/<key>/diff")
@reads_only
def diff(key: str) -> Any:
    old, new = request.args.get("from", "")[:20], request.args.get("to", "")[:20]
    if not old or not new:
        abort(400)
    try:
        found = studio.diff_sides(request_uow(), current_principal(), key, old, new)
    except NotFound:
        if studio.DRAFT not in (old, new):
            raise
        flash(_("There is no draft yet: save one in the editor, then compare it."), "error")
        return redirect(url_for("studio.versions", key=key))
    return render_template(
        "studio_diff.html", key=key, name=_pathway(key).name, old=old, new=new, diff=found,
        old_url=_xml_url(key, old), new_url=_xml_url(key, new),
    )  # fmt: skip


def _xml_url(key: str, side: str) -> str:
    if side == studio.DRAFT:
        return url_for("api_studio.get_draft", key=key)
    return url_for("api_studio.version_bpmn", key=key, number=int(side))


@bp.get("/pathway-approvals")
@reads_only
def approvals() -> Any:
    who = current_principal()
    pending = studio_deploy.list_approvals(request_uow(), who)
    return render_template("studio_approvals.html", approvals=pending)


@bp.get("/pathway-approvals/<int:approval_id>")
@reads_only
def approval(approval_id: int) -> Any:
    who = current_principal()
    uow = request_uow()
    view = studio_deploy.get_approval(uow, who, approval_id)
    changes = studio_deploy.approval_diff(uow, who, approval_id)
    old_url = (
        url_for("api_studio.version_bpmn", key=view.key, number=view.base_version)
        if view.base_version is not None
        else ""
    )
    new_url = url_for("api_studio.approval_bpmn", approval_id=approval_id)
    return render_template(
        "studio_approval.html", approval=view, diff=changes, old_url=old_url, new_url=new_url
    )


@bp.post("/pathway-approvals/<int:approval_id>")
def decide(approval_id: int) -> Any:
    decision = request.form.get("decision", "")
    reason = request.form.get("reason", "")[:2000]
    view = studio_deploy.decide(
        request_uow(), current_principal(), approval_id, decision, reason, current_services().forms
    )
    if view.status == "approved":
        flash(
            _("Approved: version %(version)s of %(key)s is deployed.", version=view.version, key=view.key),
            "success",
        )
    else:
        flash(_("Rejected: the draft of %(key)s can be edited again.", key=view.key), "success")
    return redirect(url_for("studio.approval", approval_id=approval_id))

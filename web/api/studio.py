"""``/api/v1/pathways/{key}/draft|versions|diff`` and ``/api/v1/pathway-approvals``: the pathway studio.

Coordinators save drafts (never deployed by saving), try them, compare versions and deploy with a
note; a deploy that changes a clock, a role or removes a step waits for a manager's approval. The
editor page (``/pathways/<key>/edit``) calls these same endpoints with the session cookie.
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from webargs.flaskparser import abort

from engine.pathways import studio, studio_deploy, studio_scenarios
from web.api.auth import caller
from web.api.base import api_blueprint, errors, parse_json_body
from web.api.studio_schemas import (
    ApprovalAskedSchema,
    ApprovalListSchema,
    ApprovalSchema,
    DecisionSchema,
    DeployBodySchema,
    DeployedVersionSchema,
    DiffQuerySchema,
    DiffSchema,
    DraftScenariosSchema,
    DraftSchema,
    ExpressionBodySchema,
    ExpressionVerdictSchema,
    ScenarioRunSchema,
    StepsSchema,
    TestReportSchema,
    VerdictSchema,
    VersionListSchema,
)
from web.db import current_services, reads_only, request_uow
from web.studio_text import problem_json, verdict_word
from web.studio_words import approval_reason

blp = api_blueprint("studio", "The pathway studio: drafts, checks, versions, diff, deploy and approval")

XML_BODY = {
    "required": True,
    "description": "the draft's BPMN 2.0 XML (UTF-8); a DOCTYPE or an entity is refused with 400",
    "content": {"application/xml": {"schema": {"type": "string"}}},
}
KEY = "<key>"


def _verdict_body(view: studio.DraftView) -> dict[str, Any]:
    return {
        "verdict": verdict_word(view.verdict),
        "problems": [problem_json(problem) for problem in view.verdict.problems],
        "sha256": view.sha256,
        "saved_at": view.saved_at,
    }


@blp.get(f"/pathways/{KEY}/draft")
@blp.response(200, DraftSchema)
@errors(blp, 403, 404)
@reads_only
def get_draft(key: str) -> dict[str, Any]:
    """The pathway's draft with its verdict (404 when there is none: open a version as a draft)."""
    view = studio.get_draft(request_uow(), caller(), key, current_services().forms)
    return {
        **_verdict_body(view), "key": view.key, "xml": view.xml, "author": view.author, "status": view.status,
    }  # fmt: skip


@blp.put(f"/pathways/{KEY}/draft")
@blp.doc(requestBody=XML_BODY)
@blp.response(200, VerdictSchema)
@errors(blp, 400, 403, 404, 413, 415, 422)
def put_draft(key: str) -> dict[str, Any]:
    """Save the draft (coordinators). Answers 200 with the verdict even when the diagram is invalid."""
    if request.mimetype not in {"application/xml", "text/xml"}:
        abort(415, message="send the draft as application/xml")
    who = caller()
    view = studio.save_draft(request_uow(), who, key, request.get_data(), current_services().forms)
    return _verdict_body(view)


@blp.post(f"/pathways/{KEY}/versions/<int:number>/draft")
@blp.response(200, VerdictSchema)
@errors(blp, 403, 404, 422)
def open_as_draft(key: str, number: int) -> dict[str, Any]:
    """Start a new draft from a deployed version (it replaces the current draft)."""
    view = studio.open_version_as_draft(request_uow(), caller(), key, number, current_services().forms)
    return _verdict_body(view)


@blp.get(f"/pathways/{KEY}/versions")
@blp.response(200, VersionListSchema)
@errors(blp, 403, 404)
@reads_only
def list_versions(key: str) -> dict[str, Any]:
    """Every deployed version, newest first: who deployed it, when, the note, sha256, open cases."""
    return {"items": studio.list_versions(request_uow(), caller(), key)}


@blp.get(f"/pathways/{KEY}/versions/<int:number>/bpmn")
@blp.response(200, description="the BPMN 2.0 XML", content_type="application/xml")
@errors(blp, 403, 404)
def version_bpmn(key: str, number: int) -> Response:
    """The BPMN XML of a deployed version, as a download."""
    xml = studio.version_xml(request_uow(), caller(), key, number)
    response = Response(xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{number}.bpmn"'
    return response


@blp.post(f"/pathways/{KEY}/draft/simulate")
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}})
@blp.response(200, StepsSchema)
@errors(blp, 400, 403, 404, 422)
def simulate(key: str) -> dict[str, Any]:
    """Run the draft through a scenario (the format of the pathway's scenarios/ files)."""
    scenario = _json_body()
    return {"steps": studio.simulate_draft(request_uow(), caller(), key, scenario, current_services().forms)}


@blp.post(f"/pathways/{KEY}/draft/test")
@blp.response(200, TestReportSchema)
@errors(blp, 403, 404, 422)
def run_tests(key: str) -> dict[str, Any]:
    """Run every scenario of the pathway against the draft."""
    services = current_services()
    report = studio_scenarios.run_draft_tests(
        request_uow(), caller(), key, services.settings.pathways_dir, services.forms
    )
    return {"passed": report.passed, "failed": report.failed, "scenarios": report.results}


@blp.get(f"/pathways/{KEY}/draft/scenarios")
@blp.response(200, DraftScenariosSchema)
@errors(blp, 403, 404)
@reads_only
def draft_scenarios(key: str) -> dict[str, Any]:
    """The scenarios the draft is tested with: the last deployed set (or the pathway's files) and the
    draft's edits."""
    settings = current_services().settings
    return {"scenarios": studio_scenarios.list_scenarios(request_uow(), caller(), key, settings.pathways_dir)}


@blp.put(f"/pathways/{KEY}/draft/scenarios/<string:name>")
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": {"type": "object"}}}})
@blp.response(200, ScenarioRunSchema)
@errors(blp, 400, 403, 404, 422)
def save_draft_scenario(key: str, name: str) -> dict[str, Any]:
    """Keep a new or edited scenario with the draft (deployed with it) and run it against the draft."""
    scenario = _json_body()
    return studio_scenarios.save_scenario(
        request_uow(), caller(), key, name, scenario, current_services().forms
    )


@blp.get(f"/pathways/{KEY}/diff")
@blp.arguments(DiffQuerySchema, location="query", as_kwargs=True)
@blp.response(200, DiffSchema)
@errors(blp, 403, 404, 422)
@reads_only
def diff(key: str, from_: str, to: str) -> dict[str, Any]:
    """What changed from one version (or the draft) to another: elements added, removed and changed."""
    return studio.diff_sides(request_uow(), caller(), key, from_, to).as_json()


@blp.post(f"/pathways/{KEY}/draft/deploy")
@blp.arguments(DeployBodySchema)
@blp.response(201, DeployedVersionSchema)
@blp.alt_response(202, schema=ApprovalAskedSchema, description="the deploy waits for a manager's approval")
@errors(blp, 403, 404, 422)
def deploy(body: dict[str, Any], key: str) -> Any:
    """Deploy the draft with a note: 201 with the new version, or 202 when a manager must approve it.

    A draft identical to the latest version is refused (422, "nothing changed"); failing scenarios are
    named in a 422 (`confirm_failures`) unless `confirm_failures` is true.
    """
    services = current_services()
    outcome = studio_deploy.deploy_draft(
        request_uow(), caller(), key, body["note"], services.forms, services.settings.pathways_dir,
        body["confirm_failures"],
    )  # fmt: skip
    if outcome.approval_id is not None:
        asked = ApprovalAskedSchema().dump(
            {
                "approval_id": outcome.approval_id,
                "reasons": [reason.line() for reason in outcome.reasons],
                "reasons_read": [approval_reason(reason) for reason in outcome.reasons],
            }
        )
        response = jsonify(asked)
        response.status_code = 202  # a Response passes flask-smorest's 201 schema untouched
        return response
    return {"version": outcome.version}


@blp.post("/pathways/check-expression")
@blp.arguments(ExpressionBodySchema)
@blp.response(200, ExpressionVerdictSchema)
@errors(blp, 403, 422)
@reads_only
def check_expression(body: dict[str, Any]) -> dict[str, Any]:
    """Check a condition, script, timer or due date with the server's safe evaluator (as it is typed)."""
    from engine.people.permissions import can_edit_pathway, require

    require(can_edit_pathway(caller()), studio.ONLY_EDITORS)
    message = studio.check_expression_text(body["kind"], body["text"])
    return {"ok": not message, "message": message}


@blp.get("/pathway-approvals")
@blp.response(200, ApprovalListSchema)
@errors(blp, 403)
@reads_only
def list_approvals() -> dict[str, Any]:
    """Deploys waiting for a manager's approval."""
    return {"items": studio_deploy.list_approvals(request_uow(), caller())}


@blp.get("/pathway-approvals/<int:approval_id>")
@blp.response(200, ApprovalSchema)
@errors(blp, 403, 404)
@reads_only
def get_approval(approval_id: int) -> Any:
    """One approval: the note, the changes that need it, who asked and who decided."""
    return studio_deploy.get_approval(request_uow(), caller(), approval_id)


@blp.get("/pathway-approvals/<int:approval_id>/bpmn")
@blp.response(200, description="the BPMN 2.0 XML asked to be deployed", content_type="application/xml")
@errors(blp, 403, 404)
@reads_only
def approval_bpmn(approval_id: int) -> Response:
    """The diagram an approval would deploy."""
    xml = studio_deploy.approval_xml(request_uow(), caller(), approval_id)
    return Response(xml, mimetype="application/xml")


@blp.post("/pathway-approvals/<int:approval_id>")
@blp.arguments(DecisionSchema)
@blp.response(200, ApprovalSchema)
@errors(blp, 403, 404, 409, 422)
def decide(body: dict[str, Any], approval_id: int) -> Any:
    """A manager approves (the version is deployed) or rejects it with a reason."""
    return studio_deploy.decide(
        request_uow(), caller(), approval_id, body["decision"], body["reason"], current_services().forms
    )


def _json_body() -> Any:
    if not request.is_json:
        abort(415, message="send the scenario as application/json")
    try:
        return parse_json_body(request.get_data())
    except (ValueError, RecursionError):
        abort(400, message="the body is not JSON")

"""``/api/v1/cases``: the caller's centres' cases, intake, one case file, and its audit trail."""

from __future__ import annotations

from typing import Any

from engine.casework.cases import Intake
from engine.casework.family import Child, admit_family
from engine.casework.intake import admit
from engine.casework.intake_data import LEAD_FIELDS
from engine.casework.messages import deliver_message
from engine.casework.read import case_audit, casefile
from engine.casework.read.case_list import CaseFilters, list_cases
from engine.people.permissions import can_use_inbox, require
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.schemas import (
    AuditSchema,
    CaseExportQuerySchema,
    CaseListQuerySchema,
    CasePageSchema,
    CaseSchema,
    IntakeSchema,
    MessageSchema,
)
from web.case_export import export_response
from web.db import current_services, reads_only, request_uow
from web.labels import INCIDENT_PROBLEMS, label

blp = api_blueprint("cases", "Cases: intake, the case file and who read it")


@blp.get("/cases")
@blp.arguments(CaseListQuerySchema, location="query", as_kwargs=True)
@blp.response(200, CasePageSchema)
@errors(blp, 403, 422)
@reads_only
def index(status: str, search: str, page: int) -> dict[str, Any]:
    """Cases of the caller's centres, newest admission first."""
    who = caller()
    require(can_use_inbox(who), "the case list is for staff who work on cases")
    found = list_cases(request_uow(), who, status, search, page)
    return {"items": found.rows, "page": found.page, "page_size": found.per_page, "total": found.total}


EXPORT_RESPONSE = {
    "200": {
        "description": "the cases as a file (an attachment): UTF-8 CSV with a byte-order mark, or XLSX",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}


@blp.get("/cases/export")
@blp.arguments(CaseExportQuerySchema, location="query", as_kwargs=True, error_status_code=400)
@blp.doc(responses=EXPORT_RESPONSE)
@errors(blp, 400, 403)
def export(file_format: str, status: str, search: str, led: bool, **filters: str) -> Any:
    """The case list with its filters as CSV or XLSX: for the managers of a centre, its cases only.

    Columns: case number, centre, pathway, legal basis, target group, status, admitted, left, closed
    (ISO 8601), the current steps, who holds them, the person's name. A cell that a spreadsheet would
    run as a formula is made text. Each export is audited (`case.export`: filters and row count).
    """
    return export_response(file_format, status, search, CaseFilters(**filters, led=led))


@blp.post("/cases")
@blp.arguments(IntakeSchema)
@blp.response(201, CaseSchema)
@errors(blp, 400, 403, 404, 409, 422)
def open_case(body: dict[str, Any]) -> dict[str, Any]:
    """Intake: open a case on the pathway that fits the centre and the person's age.

    A full centre answers 422 (field `over_capacity`) unless `over_capacity` is true. With `children`, the
    family is admitted together: the answer is the parent's case, its `links` the children's cases; a
    family no room holds answers 422 (`over_capacity`) too.
    404 when the centre code does not exist; 403 when the caller may not admit there.
    """
    who = caller()
    over_capacity = body.pop("over_capacity")
    centre_code = body.pop("centre")
    lead = {name: text for name in LEAD_FIELDS if (text := " ".join(body.pop(name, "").split()))}
    children = [Child(**child) for child in body.pop("children")]
    uow = request_uow()
    intake = Intake(centre_code=centre_code, extra=lead, **body)
    if children:
        case, _kids = admit_family(uow, who, intake, children, over_capacity)
    else:
        case = admit(uow, who, intake, over_capacity)
    return case_body(casefile.read_case(uow, who, case.public_id, view="api"))


@blp.get("/cases/<case_id>")
@blp.response(200, CaseSchema)
@errors(blp, 404, 503)
def show(case_id: str) -> dict[str, Any]:
    """One case file: header with `cap_at` and pending `deadlines`, current tasks, completed forms.

    The read is recorded in the case's audit trail.
    """
    return case_body(casefile.read_case(request_uow(), caller(), case_id, view="api"))


@blp.post("/cases/<case_id>/messages/<name>")
@blp.arguments(MessageSchema)
@blp.response(200, CaseSchema)
@errors(blp, 400, 403, 404, 409, 422, 503)
def message(body: dict[str, Any], case_id: str, name: str) -> dict[str, Any]:
    """Deliver message `name` (e.g. `court_decision`) with its `data` to a case that waits for it.

    The waiting element (a receive task or a message catch event) names the roles that may deliver it
    (403 for others) and the form whose JSON Schema `data` must fit: 400 names each field that does not.
    A message that nothing in the case waits for now answers 409 with the names it does wait for.
    Delivery is recorded in the case's audit trail; the answer is the case file as it is now.
    """
    who = caller()
    uow = request_uow()
    deliver_message(uow, who, case_id, name[:80], body["data"], current_services().forms)
    return case_body(casefile.read_case(uow, who, case_id, view="api"))


@blp.get("/cases/<case_id>/audit")
@blp.response(200, AuditSchema)
@errors(blp, 403, 404)
def audit(case_id: str) -> dict[str, Any]:
    """Every read and change of the case, newest first: for managers of the case's centre."""
    return {"items": case_audit.who_viewed(request_uow(), caller(), case_id)}


def case_body(case: casefile.CaseFile) -> dict[str, Any]:
    header = case.header
    return {
        "id": header.public_id,
        "number": header.number,
        "display_name": header.display_name,
        "status": header.status,
        "centre": {"name": header.centre_name, "address": header.centre_address},
        "legal_basis": header.legal_basis,
        "target_group": header.target_group,
        "referral_number": header.referral_number,
        "birth_date": header.birth_date,
        "admitted_at": header.admitted_at,
        "closed_at": header.closed_at,
        "day_of_stay": header.day_of_stay,
        "cap_at": header.cap_at,
        "days_to_cap": header.days_to_cap,
        "pathway": {"key": header.pathway, "name": header.pathway_name, "version": header.pathway_version},
        "incident": _incident(header),
        "deadlines": case.deadlines,
        "current_tasks": case.current_tasks,
        "completed_forms": case.completed,
        "timeline": case.timeline,
        "links": [{**link.as_json(), "created_at": link.created_at} for link in case.links],
        "dsp_lead": {"name": case.dsp_lead_name, "contact": case.dsp_lead_contact}
        if case.dsp_lead_name or case.dsp_lead_contact
        else None,
    }


def _incident(header: casefile.CaseHeader) -> dict[str, str] | None:
    """Where the pathway stopped and the kind of problem, in the reader's language; never a case value."""
    if not header.incident_element and not header.incident_message:
        return None
    problem = header.incident_problem or "expression"
    return {
        "element_id": header.incident_element,
        "expression": header.incident_expression,
        "problem": problem,
        "message": label(INCIDENT_PROBLEMS, problem),
    }

"""Incidents: cases an error in their pathway stopped, as coordinators and managers see them to retry.

At run time an error parks the case as an incident (element id, expression, message; see
``engine.casework.cases.drive``). This is the read side: one query per page over the incident cases of the
centres where the reader coordinates or manages. A row carries the case number, never the person's
name: coordinators may retry a case without being allowed to read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.paging import Page
from engine.people.permissions import (
    INCIDENT_HANDLERS,
    Principal,
    can_read_cases_of,
    can_view_incidents,
    require,
)
from engine.store.models import AuditEvent, Case, Centre, Pathway, PathwayVersion
from engine.store.uow import UnitOfWork

PER_PAGE = 25
MAX_PAGE = 10_000


@dataclass(frozen=True)
class IncidentRow:
    case_public_id: str
    case_number: str
    centre_name: str
    pathway_key: str
    pathway_name: str
    pathway_version: int
    element_id: str
    expression: str
    message: str  # the value-free text of ``problem`` (engine/bpmn/run_problems.py), never case data
    problem: str
    since: datetime | None  # when the case was parked (its latest ``case.incident`` audit entry)
    can_open_case: bool  # managers read the case; coordinators only see this row and retry


IncidentPage = Page[IncidentRow]


def list_incidents(uow: UnitOfWork, who: Principal, page: int = 1) -> IncidentPage:
    """Incident cases of the reader's centres, longest parked first."""
    require(can_view_incidents(who), "only coordinators and managers see incidents")
    where = (Case.status == "incident", Case.centre_id.in_(who.centres_with(INCIDENT_HANDLERS)))
    total = uow.session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    page = min(max(page, 1), MAX_PAGE)
    since = (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.case_id == Case.id, AuditEvent.action == "case.incident")
        .correlate(Case)
        .scalar_subquery()
        .label("since")
    )
    rows = uow.session.execute(
        select(
            Case.public_id,
            Case.number,
            Case.centre_id,
            Centre.name.label("centre_name"),
            Pathway.key.label("pathway_key"),
            Pathway.name.label("pathway_name"),
            PathwayVersion.version,
            Case.incident_element,
            Case.incident_expression,
            Case.incident_message,
            Case.incident_problem,
            since,
        )
        .join(Centre, Centre.id == Case.centre_id)
        .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
        .join(Pathway, Pathway.id == PathwayVersion.pathway_id)
        .where(*where)
        .order_by(since.asc().nulls_last(), Case.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    found = [
        IncidentRow(
            case_public_id=r.public_id,
            case_number=r.number,
            centre_name=r.centre_name,
            pathway_key=r.pathway_key,
            pathway_name=r.pathway_name,
            pathway_version=r.version,
            element_id=r.incident_element,
            expression=r.incident_expression,
            message=r.incident_message,
            problem=r.incident_problem,
            since=r.since,
            can_open_case=can_read_cases_of(who, r.centre_id),
        )
        for r in rows
    ]
    return IncidentPage(found, int(total), page, PER_PAGE)

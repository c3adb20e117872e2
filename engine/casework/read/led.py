"""The cases a case lead leads: those with a task of their role in the case's centre that they hold or
completed. The dashboard of a case lead and the inbox's and case list's "my cases" filter read this."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, false, or_, select

from engine.people.permissions import Principal
from engine.store.models import Case, CaseTask


def led_case_ids(who: Principal, centre_id: int | None = None) -> ColumnElement[bool]:
    """The condition "this case is one I lead" on ``case_file.id``."""
    return Case.id.in_(led_cases_query(who, centre_id))


def led_tasks(who: Principal, centre_id: int | None = None) -> ColumnElement[bool]:
    """The same on ``case_task.case_id``: a task of a case I lead (no join to the case needed)."""
    return CaseTask.case_id.in_(led_cases_query(who, centre_id))


def led_cases_query(who: Principal, centre_id: int | None = None) -> Select[int]:
    pairs = [
        and_(CaseTask.centre_id == centre, CaseTask.role == role)
        for centre, role in who.roles.items()
        if centre_id is None or centre == centre_id
    ]
    return select(CaseTask.case_id).where(
        or_(false(), *pairs),
        or_(CaseTask.assignee_id == who.user_id, CaseTask.completed_by_id == who.user_id),
    )

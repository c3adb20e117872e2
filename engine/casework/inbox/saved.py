"""Inbox filters a user names and keeps: each is the inbox's own query string, and is theirs alone.

The query is built here from checked :class:`InboxFilters` (never taken as typed), so a saved filter
opens the same inbox the user saw, and a manager's dashboard can link to the same addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import delete, select

from engine.casework.inbox.listing import InboxFilters
from engine.errors import NotFound, ValidationFailed
from engine.people.permissions import Principal, can_use_inbox, require
from engine.store.models import SavedFilter
from engine.store.uow import UnitOfWork

MAX_NAME = 80
MAX_FILTERS = 50  # per user
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class SavedFilterView:
    id: int
    name: str
    query: str


def filter_query(filters: InboxFilters) -> str:
    """The inbox's query string for these filters: only what differs from the defaults, in a fixed order."""
    values = {
        "scope": filters.scope if filters.scope != "all" else "",
        "centre": str(filters.centre_id) if filters.centre_id is not None else "",
        "pathway": filters.pathway,
        "task_type": filters.task_type,
        "due": filters.due,
        "q": filters.q.strip(),
        "sort": filters.sort if filters.sort != "due" else "",
        "holder": str(filters.holder) if filters.holder is not None else "",
    }
    return urlencode({key: value for key, value in values.items() if value})


def list_filters(uow: UnitOfWork, who: Principal) -> list[SavedFilterView]:
    rows = uow.session.scalars(
        select(SavedFilter).where(SavedFilter.user_id == who.user_id).order_by(SavedFilter.name)
    )
    return [SavedFilterView(row.id, row.name, row.query) for row in rows]


def save_filter(uow: UnitOfWork, who: Principal, name: str, filters: InboxFilters) -> SavedFilterView:
    """Keep ``filters`` under ``name`` (a filter of the same name is replaced)."""
    require(who.user_id is not None and can_use_inbox(who), "the inbox is for staff who work on cases")
    filters.check()
    label = " ".join(name.split())
    if not label or len(label) > MAX_NAME:
        raise ValidationFailed(
            "the filter needs a name", {"name": [f"required, at most {MAX_NAME} characters"]}
        )
    query = filter_query(filters)
    row = uow.session.scalar(
        select(SavedFilter).where(SavedFilter.user_id == who.user_id, SavedFilter.name == label)
    )
    if row is None:
        if len(list_filters(uow, who)) >= MAX_FILTERS:
            raise ValidationFailed(
                "too many saved filters", {"name": [f"at most {MAX_FILTERS}; delete one first"]}
            )
        row = SavedFilter(user_id=who.user_id, name=label, query=query, created_at=uow.clock.now())
        uow.session.add(row)
    row.query = query
    uow.session.flush()
    return SavedFilterView(row.id, row.name, row.query)


def delete_filter(uow: UnitOfWork, who: Principal, filter_id: int) -> None:
    """Delete one of the user's own filters; someone else's does not exist for them."""
    if not 0 < filter_id <= MAX_ID:
        raise NotFound("filter not found")
    result = uow.session.execute(
        delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == who.user_id)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise NotFound("filter not found")

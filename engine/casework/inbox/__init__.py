"""The inbox: the list of open tasks (``listing``), taking and giving tasks (``assignment``), filters a
user keeps (``saved``) and the team's workload (``workload``)."""

from engine.casework.inbox.assignment import Assignee, assignee_options, claim, reassign, unclaim
from engine.casework.inbox.listing import (
    DUE_FILTERS,
    PER_PAGE,
    SCOPES,
    SORTS,
    FilterOption,
    InboxCounts,
    InboxFilters,
    InboxPage,
    InboxRow,
    list_inbox,
)

__all__ = [
    "DUE_FILTERS",
    "PER_PAGE",
    "SCOPES",
    "SORTS",
    "Assignee",
    "FilterOption",
    "InboxCounts",
    "InboxFilters",
    "InboxPage",
    "InboxRow",
    "assignee_options",
    "claim",
    "list_inbox",
    "reassign",
    "unclaim",
]

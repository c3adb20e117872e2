"""Pagination shared by the read-side pages (inbox, case list, incidents, notifications)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

Row = TypeVar("Row")
MAX_PAGE = 100_000  # beyond any list's last page; a bound at the edge, so OFFSET never overflows


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill; an empty list still has one (empty) page."""
    return max(1, -(-total // per_page))


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One page of rows and where it stands among all of them."""

    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

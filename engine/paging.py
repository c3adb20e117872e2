"""Pagination shared by the read-side pages (inbox, case list, incidents, notifications)."""

from __future__ import annotations


def page_count(total: int, per_page: int) -> int:
    """How many pages ``total`` rows fill; an empty list still has one (empty) page."""
    return max(1, -(-total // per_page))

"""Whole numbers from query strings, bounded at the edge before they reach a query.

A page or a centre id beyond what the database can hold (``page=10^20``, a 5,000-digit number) is a
422 that names the parameter, never an overflow inside SQLite or PostgreSQL. Text that is not a
number keeps the lenient default (the first page, no centre filter), as links have always had it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import gettext as _

from engine.errors import ValidationFailed
from engine.paging import MAX_PAGE

MAX_ID = 2**31 - 1  # an INTEGER key on PostgreSQL
_WHOLE = re.compile(r"[+-]?[0-9]+")


def page_arg() -> int:
    """``?page=``: 1 when absent, not a number or below 1; a 422 beyond the last page anyone has."""
    return max(1, _bounded("page", MAX_PAGE) or 1)


def id_arg(name: str, source: Any = None) -> int | None:
    """``?<name>=`` (or a form's field) as a database id, None when absent or not a number; a 422 beyond
    an id's range."""
    return _bounded(name, MAX_ID, source)


def _bounded(name: str, maximum: int, source: Any = None) -> int | None:
    raw = (request.args if source is None else source).get(name, "").strip()
    if not _WHOLE.fullmatch(raw):
        return None
    digits = raw.lstrip("+-").lstrip("0")
    if len(digits) > len(str(maximum)) or int(raw) > maximum:  # the length check first: no huge int()
        message = _("Enter a whole number up to %(maximum)d.", maximum=maximum)
        raise ValidationFailed(f"{name} is out of range", {name: [message]})
    return int(raw)

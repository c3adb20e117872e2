"""The case list as a file (CSV, XLSX) for the managers of a centre: the list's filters, one row per
case, every export audited (its filters and row count, never a name or the search text).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula: :func:`neutralise` makes every such cell text. Dates are ISO 8601.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import select

from engine.audit.chain import record
from engine.casework.read.case_list import CaseFilters, matching
from engine.errors import QueryInvalid, ValidationFailed
from engine.people.permissions import CASE_EXPORTERS, Principal, can_export_case_list, require
from engine.store.models import Case, CaseTask, Centre, Pathway, PathwayVersion, User
from engine.store.uow import UnitOfWork

FORMATS = ("csv", "xlsx")
EXPORT_LIMIT = 20_000  # more matching cases than this: narrow the filters
_CHUNK = 500  # case ids per query for their open tasks
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    number: str
    centre: str
    pathway: str
    legal_basis: str
    target_group: str
    status: str
    admitted_at: datetime
    left_at: datetime | None
    closed_at: datetime | None
    steps: tuple[str, ...]  # the open tasks' names
    holders: tuple[str, ...]  # who holds them
    display_name: str


def neutralise(value: str) -> str:
    """A cell a spreadsheet would run as a formula becomes text (an apostrophe before it)."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def export_cases(
    uow: UnitOfWork,
    who: Principal,
    file_format: str,
    status: str = "open",
    search: str = "",
    filters: CaseFilters | None = None,
) -> list[ExportRow]:
    """The cases of the centres the caller manages that the case list's filters select, newest first."""
    if file_format not in FORMATS:
        raise QueryInvalid("unknown format", {"format": ["one of csv, xlsx"]})
    require(can_export_case_list(who), "only the managers of a centre export its case list")
    now = uow.clock.now()
    try:
        conditions = matching(who, now, status, search, filters, who.centres_with(CASE_EXPORTERS))
    except ValidationFailed as error:
        raise QueryInvalid(error.message, error.fields) from error
    found = uow.session.execute(
        select(
            Case.id,
            Case.number,
            Centre.name,
            Pathway.key,
            Case.legal_basis,
            Case.target_group,
            Case.status,
            Case.admitted_at,
            Case.left_at,
            Case.closed_at,
            Case.display_name,
        )
        .join(Centre, Centre.id == Case.centre_id)
        .join(PathwayVersion, PathwayVersion.id == Case.pathway_version_id)
        .join(Pathway, Pathway.id == PathwayVersion.pathway_id)
        .where(*conditions)
        .order_by(Case.admitted_at.desc(), Case.id.desc())
        .limit(EXPORT_LIMIT + 1)
    ).all()
    if len(found) > EXPORT_LIMIT:
        raise QueryInvalid(
            "too many cases", {"filters": [f"more than {EXPORT_LIMIT} cases match: narrow the filters"]}
        )
    steps = _open_steps(uow, [row[0] for row in found])
    rows = [
        ExportRow(
            number,
            centre,
            pathway,
            basis,
            group,
            state,
            admitted,
            left,
            closed,
            tuple(name for name, _ in steps.get(case_id, [])),
            tuple(sorted({holder for _, holder in steps.get(case_id, []) if holder})),
            name,
        )
        for case_id, number, centre, pathway, basis, group, state, admitted, left, closed, name in found
    ]
    used = {key: value for key, value in vars(filters or CaseFilters()).items() if value}
    record(
        uow.session,
        now,
        who,
        "case.export",
        detail={
            "format": file_format,
            "status": status,
            "filters": used,
            "search": bool(search.strip()),
            "rows": len(rows),
        },
    )
    return rows


def _open_steps(uow: UnitOfWork, case_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each case's open tasks: (task name, holder's name or "")."""
    steps: dict[int, list[tuple[str, str]]] = {}
    for start in range(0, len(case_ids), _CHUNK):
        chunk = case_ids[start : start + _CHUNK]
        for case_id, name, holder in uow.session.execute(
            select(CaseTask.case_id, CaseTask.name, User.display_name)
            .outerjoin(User, User.id == CaseTask.assignee_id)
            .where(CaseTask.case_id.in_(chunk), CaseTask.status == "open")
            .order_by(CaseTask.case_id, CaseTask.id)
        ):
            steps.setdefault(case_id, []).append((name, holder or ""))
    return steps


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark (so that spreadsheets read Cyrillic), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(sheet: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """One worksheet, every cell a neutralised text (never a formula), the header row frozen."""
    book = Workbook(write_only=True)
    page = book.create_sheet(ILLEGAL_CHARACTERS_RE.sub("", sheet)[:31] or "Cases")
    page.freeze_panes = "A2"
    for row in (header, *rows):
        page.append([neutralise(ILLEGAL_CHARACTERS_RE.sub("", cell)) or None for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

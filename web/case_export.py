"""The case list export's file, shared by the page (``/cases/export.csv``, ``.xlsx``) and the API: the
engine selects and audits the rows and writes the file; this names the columns and the codes in the
reader's language."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response
from flask_babel import gettext as _

from engine.casework.read.case_list import CaseFilters
from engine.casework.read.export import ExportRow, export_cases, iso, write_csv, write_xlsx
from engine.errors import QueryInvalid
from web.db import request_uow
from web.labels import CASE_STATUSES, LEGAL_BASES, TARGET_GROUPS, label
from web.security import current_principal

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FILTER_NAMES = ("centre", "arrived", "left", "stay", "exit_planning")


def filters_from(args: Mapping[str, str]) -> CaseFilters:
    """The case list's filters from its query parameters (the page's and the API's are the same)."""
    led = args.get("led", "")
    if led not in ("", "0", "1"):
        raise QueryInvalid("unknown filter", {"led": ["1 or nothing"]})
    return CaseFilters(**{name: args.get(name, "")[:40] for name in FILTER_NAMES}, led=led == "1")


def export_response(file_format: str, status: str, search: str, filters: CaseFilters) -> Response:
    """The file of the cases the filters select, as an attachment (the engine audits the export)."""
    rows = export_cases(request_uow(), current_principal(), file_format, status, search, filters)
    header = [
        _("Case number"),
        _("Centre"),
        _("Pathway"),
        _("Legal basis"),
        _("Target group"),
        _("Status"),
        _("Admitted"),
        _("Left"),
        _("Closed"),
        _("Current steps"),
        _("Held by"),
        _("Name"),
    ]
    cells = [_cells(row) for row in rows]
    xlsx = file_format == "xlsx"
    body = write_xlsx(_("Cases"), header, cells) if xlsx else write_csv(header, cells)
    response = Response(body, mimetype=MIMETYPES[file_format])
    response.headers["Content-Disposition"] = f'attachment; filename="cases.{file_format}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _cells(row: ExportRow) -> list[str]:
    return [
        row.number,
        row.centre,
        row.pathway,
        label(LEGAL_BASES, row.legal_basis),
        label(TARGET_GROUPS, row.target_group),
        label(CASE_STATUSES, row.status),
        iso(row.admitted_at),
        iso(row.left_at),
        iso(row.closed_at),
        "; ".join(row.steps),
        "; ".join(row.holders),
        row.display_name,
    ]

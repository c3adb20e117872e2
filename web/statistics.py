"""The anonymised monthly statistics (``/statistics?month=YYYY-MM``, printable, and ``.csv``) for the
managers of a centre: the engine counts and suppresses; this names figures and categories in the
reader's language. A manager of several centres sees each centre's tables, never their sum."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.casework.intake_data import NOT_RECORDED
from engine.casework.read.export import write_csv
from engine.casework.read.stays import this_month
from engine.reports.statistics import Statistics, audit_export, read_statistics
from web.dashboard import REASONS, STAY_LABELS
from web.db import current_services, reads_only, request_uow
from web.intake import SEXES
from web.labels import EXIT_ROUTES, LEGAL_BASES, TARGET_GROUPS
from web.security import current_principal, require_sign_in

bp = Blueprint("statistics", __name__)
bp.before_request(require_sign_in)

FIGURES = {
    "admissions_by_legal_basis": _l("Admissions by legal basis"),
    "admissions_by_target_group": _l("Admissions by target group"),
    "admissions_by_age_band": _l("Admissions by age at admission"),
    "admissions_by_sex": _l("Admissions by sex"),
    "stays_by_length": _l("Stays ended in the month, by length"),
    "exits_by_route": _l("Stays ended in the month, by exit route"),
    "turn_aways_by_reason": _l("People turned away, by reason"),
}
CATEGORY_TITLES = {
    "admissions_by_legal_basis": _l("Legal basis"),
    "admissions_by_target_group": _l("Target group"),
    "admissions_by_age_band": _l("Age in years"),
    "admissions_by_sex": _l("Sex"),
    "stays_by_length": _l("Length of stay"),
    "exits_by_route": _l("Exit route"),
    "turn_aways_by_reason": _l("Reason"),
}


def category_label(figure: str, code: str) -> str:
    if code == NOT_RECORDED:
        return str(_("not recorded"))
    labels: dict[str, Any] = {
        "admissions_by_legal_basis": LEGAL_BASES,
        "admissions_by_target_group": TARGET_GROUPS,
        "admissions_by_sex": SEXES,
        "stays_by_length": STAY_LABELS,
        "exits_by_route": EXIT_ROUTES,
        "turn_aways_by_reason": REASONS,
    }.get(figure, {})
    return str(labels.get(code, code.replace("-", "–")))


def _month() -> str:
    return request.args.get("month", "") or this_month(current_services().clock.now())


@bp.get("/statistics")
@reads_only
def index() -> Any:
    stats = read_statistics(request_uow(), current_principal(), _month(), request.args.get("centre", ""))
    return render_template(
        "statistics.html",
        stats=stats,
        figures=FIGURES,
        titles=CATEGORY_TITLES,
        label=category_label,
        centre=request.args.get("centre", ""),
    )


@bp.get("/statistics.csv")
def export_csv() -> Any:
    """One row per centre, figure and category, and a total row per figure; audited."""
    uow, who = request_uow(), current_principal()
    stats = read_statistics(uow, who, _month(), request.args.get("centre", ""))
    audit_export(uow, who, stats, "csv")
    header = [_("Month"), _("Centre"), _("Figure"), _("Category"), _("Count")]
    response = Response(write_csv(header, _rows(stats)), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="statistics-{stats.month}.csv"'
    return response


def _rows(stats: Statistics) -> Iterator[list[str]]:
    for centre in stats.centres:
        for table in centre.tables:
            figure = str(FIGURES[table.figure])
            for cell in table.cells:
                yield [
                    stats.month,
                    centre.name,
                    figure,
                    category_label(table.figure, cell.category),
                    cell.shown,
                ]
            yield [stats.month, centre.name, figure, _("Total"), table.shown_total]

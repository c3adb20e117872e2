"""Anonymised monthly statistics of a centre, for the municipality and the Agency for Social Assistance.

Per month (Sofia) and centre: admissions by legal basis, target group, age band and sex; stays that
ended in the month by their length and by the exit route; turn-aways by reason. Only codes and counts
leave this module, never a case number, a name or a date.

**Small counts are suppressed** (:func:`suppress`), so that nobody can be recognised:

1. a count of 1 to 4 is shown as ``<5`` (primary suppression); a zero is shown as ``0``;
2. every table's categories add up to its total, so one hidden cell could be worked out by
   subtracting the others from the total. When exactly one cell of a table is hidden, the smallest
   other non-zero cell is hidden too, shown as ``x`` (complementary suppression): then only the sum of
   the hidden cells can be worked out, never one of them;
3. a total under 5 is itself shown as ``<5`` (every non-zero cell of its table is hidden then);
4. tables are published per centre only: no figure adds centres together, because a sum over centres
   less the other centres' cells would give a hidden cell back.

Pseudonymised cases (engine/casework/retention.py) count exactly as before: their age band at
admission is kept when their birth date is removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.audit.chain import record
from engine.casework.intake_data import (
    AGE_BAND_CODES,
    LEGAL_BASES,
    NOT_RECORDED,
    TARGET_GROUPS,
    band_at_admission,
)
from engine.casework.read.stays import month_bounds
from engine.casework.routines import ROUTINE
from engine.errors import NotFound, ValidationFailed
from engine.people.permissions import STATISTICS_READERS, Principal, can_read_statistics, require
from engine.people.places import SEXES, TURN_AWAY_REASONS
from engine.reports.charts import STAY_BUCKETS, stay_bucket
from engine.store.models import Case, CaseTask, Centre, TurnAway
from engine.store.uow import UnitOfWork

THRESHOLD = 5  # a count below this (and above zero) is never published
SMALL, COMPLEMENTARY = "<5", "x"
# The pathways' exit routes (the `exit_route` answer of the adult's and the child's exit decision).
EXIT_ROUTES = (
    "home", "other_service", "protected_home", "reintegration_shelter",
    "reintegration", "kinship", "foster", "residential",
)  # fmt: skip
EXIT_ROUTE_FIELD = "exit_route"
EXIT_FORMS = ("exit_decision", "child_exit_decision")  # the shipped pathways' exit decisions
FIGURES = (
    "admissions_by_legal_basis",
    "admissions_by_target_group",
    "admissions_by_age_band",
    "admissions_by_sex",
    "stays_by_length",
    "exits_by_route",
    "turn_aways_by_reason",
)
CATEGORIES: dict[str, tuple[str, ...]] = {
    "admissions_by_legal_basis": LEGAL_BASES,
    "admissions_by_target_group": TARGET_GROUPS,
    "admissions_by_age_band": AGE_BAND_CODES,
    "admissions_by_sex": (*SEXES, NOT_RECORDED),
    "stays_by_length": tuple(label for label, _ in STAY_BUCKETS),
    "exits_by_route": (*EXIT_ROUTES, NOT_RECORDED),
    "turn_aways_by_reason": TURN_AWAY_REASONS,
}


@dataclass(frozen=True)
class Cell:
    category: str
    count: int | None  # None when hidden
    shown: str  # the count, "<5" or "x"


@dataclass(frozen=True)
class Table:
    figure: str
    total: int | None  # None when under the threshold
    shown_total: str
    cells: list[Cell]


@dataclass(frozen=True)
class CentreStatistics:
    code: str
    name: str
    tables: list[Table]


@dataclass(frozen=True)
class Statistics:
    month: str
    centres: list[CentreStatistics]


def suppress(figure: str, counts: dict[str, int]) -> Table:
    """One table with the small-count rule of this module's docstring applied."""
    order = CATEGORIES[figure]
    raw = [(category, counts.get(category, 0)) for category in order]
    total = sum(n for _, n in raw)
    hidden = {category: SMALL for category, n in raw if 0 < n < THRESHOLD}
    if len(hidden) == 1 and total >= THRESHOLD:
        others = [(n, i, category) for i, (category, n) in enumerate(raw) if n and category not in hidden]
        hidden[min(others)[2]] = COMPLEMENTARY
    cells = [
        Cell(category, None, hidden[category]) if category in hidden else Cell(category, n, str(n))
        for category, n in raw
    ]
    if 0 < total < THRESHOLD:
        return Table(figure, None, SMALL, cells)
    return Table(figure, total, str(total), cells)


def statistics_centres(uow: UnitOfWork, who: Principal, code: str = "") -> list[Centre]:
    """The centres whose statistics the caller reads: one by its code, or all of theirs."""
    if code:
        centre = uow.session.scalar(select(Centre).where(Centre.code == code[:40]))
        if centre is None or who.role_in(centre.id) is None:
            raise NotFound("centre not found")
        require(can_read_statistics(who, centre.id), "only the centre's managers read its statistics")
        return [centre]
    ids = who.centres_with(STATISTICS_READERS)
    require(bool(ids), "only a centre's managers read its statistics")
    return list(uow.session.scalars(select(Centre).where(Centre.id.in_(ids)).order_by(Centre.name)))


def read_statistics(uow: UnitOfWork, who: Principal, month: str, code: str = "") -> Statistics:
    """The month's tables of each centre the caller manages (or of the one ``code`` names)."""
    if not isinstance(month, str) or len(month) != 7:
        raise ValidationFailed("bad month", {"month": ["a month as YYYY-MM"]})
    start, end = month_bounds(month)
    centres = statistics_centres(uow, who, code)
    return Statistics(
        month, [CentreStatistics(c.code, c.name, centre_tables(uow, c.id, start, end)) for c in centres]
    )


def centre_tables(uow: UnitOfWork, centre_id: int, start: datetime, end: datetime) -> list[Table]:
    """The raw counts of one centre between two instants, suppressed table by table."""
    counts: dict[str, dict[str, int]] = {figure: {} for figure in FIGURES}

    def add(figure: str, category: str) -> None:
        counts[figure][category] = counts[figure].get(category, 0) + 1

    admitted = uow.session.execute(
        select(Case.legal_basis, Case.target_group, Case.sex, Case.birth_date, Case.age_band)
        .add_columns(Case.admitted_at)
        .where(Case.centre_id == centre_id, Case.admitted_at >= start, Case.admitted_at < end)
        .where(Case.legal_basis != ROUTINE)
    ).all()
    for basis, group, sex, birth_date, kept_band, admitted_at in admitted:
        add("admissions_by_legal_basis", basis)
        add("admissions_by_target_group", group)
        add("admissions_by_sex", sex if sex in SEXES else NOT_RECORDED)
        add("admissions_by_age_band", kept_band or band_at_admission(birth_date, admitted_at))
    gone = func.coalesce(Case.left_at, Case.closed_at)
    ended = uow.session.execute(
        select(Case.id, Case.admitted_at, gone)
        .where(Case.centre_id == centre_id, gone >= start, gone < end)
        .where(Case.legal_basis != ROUTINE)
    ).all()
    routes = exit_routes(uow, [row[0] for row in ended])
    for case_id, admitted_at, left_at in ended:
        add("stays_by_length", STAY_BUCKETS[stay_bucket((left_at - admitted_at).total_seconds() / 86400)][0])
        add("exits_by_route", routes.get(case_id, NOT_RECORDED))
    for reason, n in uow.session.execute(
        select(TurnAway.reason, func.count())
        .where(TurnAway.centre_id == centre_id, TurnAway.at >= start, TurnAway.at < end)
        .group_by(TurnAway.reason)
    ):
        counts["turn_aways_by_reason"][reason] = int(n)
    return [suppress(figure, counts[figure]) for figure in FIGURES]


def exit_routes(uow: UnitOfWork, case_ids: list[int]) -> dict[int, str]:
    """Each case's exit route: the last completed task whose answers name one of the known routes."""
    found: dict[int, str] = {}
    for start in range(0, len(case_ids), 500):
        rows = uow.session.execute(
            select(CaseTask.case_id, CaseTask.data)
            .where(CaseTask.case_id.in_(case_ids[start : start + 500]), CaseTask.status == "completed")
            .where(CaseTask.form_key.in_(EXIT_FORMS))
            .order_by(CaseTask.case_id, CaseTask.completed_at, CaseTask.id)
        ).all()
        for case_id, data in rows:
            route = (data or {}).get(EXIT_ROUTE_FIELD)
            if route in EXIT_ROUTES:
                found[case_id] = route
    return found


def audit_export(uow: UnitOfWork, who: Principal, stats: Statistics, file_format: str) -> None:
    """A download of the statistics is audited: which month, centres and format (counts only)."""
    detail = {"month": stats.month, "format": file_format, "centres": [c.code for c in stats.centres]}
    record(uow.session, uow.clock.now(), who, "statistics.export", detail=detail)

"""Intake's cost does not grow with the caseload: closed cases are never read to admit a new one."""

from __future__ import annotations

from sqlalchemy import event, insert, select, text

from engine.people.centres import occupancy
from engine.store.models import Case, Centre, PathwayVersion


def captured_sql(uow, work) -> list:
    """The SELECT statements (as SQLAlchemy constructs) that ``work`` sends to the database."""
    seen: list = []
    engine = uow.session.get_bind().engine

    def listen(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(context.compiled.statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return seen


def test_occupancy_reads_only_the_centres_staying_cases(make_uow, world, clock):
    with make_uow() as uow:
        centre = uow.session.get(Centre, world.centre_id)
        version = uow.session.scalar(select(PathwayVersion.id).limit(1))
        uow.session.execute(
            insert(Case),
            [
                {"number": f"OLD-{n}", "centre_id": centre.id, "pathway_version_id": version,
                 "display_name": "x", "target_group": "other", "legal_basis": "urgent",
                 "admitted_at": clock.now(), "status": "closed", "workflow_state": b"",
                 "serializer_version": "1"}
                for n in range(3000)
            ],
        )  # fmt: skip
        [statement] = captured_sql(uow, lambda: occupancy(uow, centre))
        bind = uow.session.get_bind()
        sql = statement.compile(bind, compile_kwargs={"literal_binds": True})
        if bind.dialect.name == "postgresql":
            uow.session.execute(text("ANALYZE case_file"))
            uow.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(uow.session.scalars(text(f"EXPLAIN (ANALYZE, COSTS OFF) {sql}")))
            assert "Rows Removed by Filter" not in plan, plan  # no closed case read and dropped
            assert "status" in plan.split("Index Cond:")[1], plan
        else:
            uow.session.execute(text("ANALYZE"))
            plan = "\n".join(str(row[-1]) for row in uow.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "INDEX ix_case_file_centre_status (centre_id=? AND status=?" in plan, plan
        assert occupancy(uow, centre).open_cases == 0


def test_numbering_a_case_counts_no_cases(make_uow, world):
    from engine.casework import cases
    from tests.engine.casework.test_cases import INTAKE

    with make_uow() as uow:
        statements = captured_sql(uow, lambda: cases.open_case(uow, world.staff["social_worker"], INTAKE))
        counting = [str(s) for s in statements if "count(" in str(s).lower() and "case_file" in str(s)]
        assert counting == []
        assert (
            uow.session.scalar(select(Case.number).order_by(Case.id.desc()).limit(1)) == "KC-TEST-2025-0001"
        )

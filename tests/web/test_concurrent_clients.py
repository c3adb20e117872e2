"""Sixteen people at once through the web app, on a SQLite file and on PostgreSQL: each signs in,
opens their own case, completes its task and opens it again. Every request answers, none with 409.

The app runs on a committing session factory (not the savepoint one) and each client is a Flask test
client in its own thread, so the requests really overlap in the database.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from engine.audit import chain
from engine.casework import cases
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, principal_for
from engine.services import Services
from engine.store.models import CaseTask
from tests.engine.audit.test_audit_concurrency import CLIENTS, run_together
from tests.engine.casework.test_cases import INTAKE
from tests.engine.conftest import build_world
from tests.web.conftest import PASSWORD, login, make_app


def test_sixteen_people_open_and_complete_their_own_cases_at_once(
    db_engine, committed_factory, make_committed_uow, fixture_forms, clock, test_settings
):
    build_world(make_committed_uow, fixture_forms)
    people = []
    with make_committed_uow() as uow:
        for number in range(CLIENTS):
            user = create_user(uow, SYSTEM, f"web-{number:02d}", PASSWORD, "kc-test", "social_worker")
            case = cases.open_case(uow, principal_for(user), replace(INTAKE, display_name=f"Л {number}"))
            task = uow.session.scalar(select(CaseTask.public_id).where(CaseTask.case_id == case.id))
            people.append((user.username, case.public_id, task))
        uow.commit()
    app = make_app(Services(test_settings, db_engine, committed_factory, fixture_forms, clock))
    answers: list[tuple[str, int]] = []

    def person(number: int, username: str, case_id: str, task_id: str):
        def work() -> None:
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"
            login(client, username)
            for method, path, data in (
                ("GET", f"/cases/{case_id}", None),
                ("POST", f"/tasks/{task_id}/complete", {"f_note": "Среща.", "f_risk": "low"}),
                ("GET", f"/cases/{case_id}", None),
            ):
                response = client.open(path, method=method, data=data)
                answers.append((f"{method} {path}", response.status_code))

        return work

    errors = run_together([person(n, *row) for n, row in enumerate(people)])
    assert errors == []
    assert len(answers) == 3 * CLIENTS
    assert [answer for answer in answers if answer[1] not in (200, 302, 303)] == []
    with make_committed_uow() as uow:
        done = uow.session.scalars(select(CaseTask.public_id).where(CaseTask.status == "completed")).all()
        assert set(done) == {task for _, _, task in people}
        chain.seal(uow.session)
        uow.commit()
    with make_committed_uow() as uow:
        assert chain.verify(uow.session, clock.now())[1] is None

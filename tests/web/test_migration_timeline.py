"""A migrated case's timeline says so, in the reader's language, with the dates its clocks moved to."""

from __future__ import annotations

from sqlalchemy import select

from engine.casework.migration import batch as batches
from engine.pathways import versions
from engine.people.permissions import SYSTEM
from engine.store.models import Case
from tests.engine.conftest import mini_pathway

KEY = "crisis_centre_adult"


def test_the_case_page_shows_the_pathway_update_in_each_language(services, world, as_role) -> None:  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        changed = mini_pathway(KEY, {'name="due" value="PT24H"': 'name="due" value="P2D"'})
        versions.deploy(uow, changed, services.forms, SYSTEM, "mini.bpmn")
        number = uow.session.scalar(select(Case.number).where(Case.public_id == world.own_case))
        plan = batches.plan(uow, SYSTEM, KEY, 1, 2, services.forms, [number], dry_run=False)
        uow.commit()
    [outcome] = batches.run(services.uow, SYSTEM, plan.batch, services.forms)
    assert outcome.verdict == "migrated"
    client = as_role("case_lead")
    page = client.get(f"/cases/{world.own_case}").get_data(as_text=True)
    assert "Пътеката е обновена до версия 2: Initial assessment: следващ на" in page
    client.post("/language", data={"locale": "en"})
    english = client.get(f"/cases/{world.own_case}").get_data(as_text=True)
    assert "Pathway updated to version 2: Initial assessment: next on" in english
    assert "Пътеката е обновена" not in english

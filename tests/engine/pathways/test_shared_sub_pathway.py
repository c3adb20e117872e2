"""The shared sub-pathway ``monthly_review``: both crisis-centre pathways call it, each in its own words,
and each deployed version pins the callee version it was deployed with."""

from __future__ import annotations

from sqlalchemy import select

from engine.bpmn.names import english_names
from engine.bpmn.properties import raw_of_spec, task_properties
from engine.pathways import versions
from engine.pathways.callees import sub_pathways
from engine.pathways.lint import check_document
from engine.store.models import PathwayVersion
from tests.conftest import WORKFLOWS

PATHWAYS = WORKFLOWS / "pathways"
SHARED = (PATHWAYS / "monthly_review" / "monthly_review.bpmn").read_bytes()


def review_of(parsed):  # the callee's review task as the caller's version holds it
    spec = parsed.subprocess_specs["monthly_review"].task_specs["Task_PlanReview"]
    return (
        spec.bpmn_name,
        task_properties(raw_of_spec(spec)).legal_source,
        english_names(parsed)["Task_PlanReview"],
    )


def test_both_crisis_centre_pathways_call_the_one_review_in_their_own_words(forms):
    adult = check_document(
        (PATHWAYS / "crisis_centre_adult" / "crisis_centre_adult.bpmn").read_bytes(), forms
    )
    child = check_document(
        (PATHWAYS / "crisis_centre_child" / "crisis_centre_child.bpmn").read_bytes(), forms
    )
    assert adult[1] is not None and child[1] is not None
    assert review_of(adult[1]) == (
        "Месечен преглед на плана и доклад до ДСП",
        "Месечен преглед на плана (ЗСУ чл. 84(3)); 7 дни по подразбиране",
        "Monthly plan review and progress note to ДСП",
    )
    assert review_of(child[1]) == (
        "Месечен преглед на плана и доклад до ОЗД",
        "ЗСУ чл. 84(3); 7 дни – приет срок",
        "Monthly plan review and progress note to ОЗД",
    )
    assert adult[1].called == child[1].called == {"monthly_review": 0}  # files: nothing deployed yet
    assert sub_pathways(PATHWAYS) == {"monthly_review"}


def test_a_missing_text_or_two_sets_of_texts_are_reported_on_the_call_activity(forms):
    data = (PATHWAYS / "crisis_centre_child" / "crisis_centre_child.bpmn").read_bytes()
    without = data.replace(b"&quot;authority&quot;: &quot;\xd0\x9e\xd0\x97\xd0\x94&quot;, ", b"")
    verdict, parsed = check_document(without, forms)
    assert parsed is None
    assert [(p.element_id, p.message) for p in verdict.problems] == [
        (
            "Call_MonthlyReview",
            "calls 'monthly_review' without the texts it needs: add authority to its texts",
        )
    ]
    broken = data.replace(b'name="texts" value="{', b'name="texts" value="[')
    assert "texts must be a JSON object" in check_document(broken, forms)[0].summary()


def test_deploying_a_caller_pins_the_review_deployed_with_it(make_uow, world, forms):
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        first = versions.deploy_shipped_pathway(uow, WORKFLOWS, "crisis_centre_child", forms, coordinator)
        newer = SHARED.replace("Прегледът е направен".encode(), "Прегледът е направен (2)".encode())
        review = versions.deploy(uow, newer, forms, coordinator, "monthly_review.bpmn")
        assert review.version == 2
        # the running pathway keeps v1; deploying the same caller again pins v2 as a new version
        assert versions.parsed_version(first).called == {"monthly_review": 1}
        again = versions.deploy_shipped_pathway(uow, WORKFLOWS, "crisis_centre_child", forms, coordinator)
        assert (again.version, versions.parsed_version(again).called) == (
            first.version + 1,
            {"monthly_review": 3},
        )
        stored = uow.session.scalars(select(PathwayVersion.process_id).order_by(PathwayVersion.id)).all()
        assert stored.count("monthly_review") == 3  # the shipped file again is a new version after v2

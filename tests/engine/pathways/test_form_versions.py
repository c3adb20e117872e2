"""Forms travel with the pathway: snapshots per pathway version, drafts, and the fields in use."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from engine.bpmn.field_reads import Reading, names_read
from engine.casework import cases, drafts
from engine.errors import FileTooLarge, NotFound, PathwayInvalid, PermissionDenied, ValidationFailed
from engine.pathways import form_drafts, form_list, form_versions, versions
from engine.pathways.forms import FormCatalog
from engine.store.models import AuditEvent, FormDraft, FormVersion
from engine.store.uow import UnitOfWork
from tests.constructs.casework_run import CONSTRUCTS, construct
from tests.engine.casework.test_cases import INTAKE, open_tasks
from tests.engine.conftest import World, mini_pathway

KEY = "crisis_centre_adult"


def _note_with(fixture_forms: FormCatalog, **extra: dict[str, object]) -> dict[str, object]:
    schema = json.loads(json.dumps(fixture_forms.file_schema("note")))
    schema["properties"].update(extra)
    schema["required"] = [*schema["required"], *extra]
    return schema


def _open(uow: UnitOfWork, world: World) -> str:
    return cases.open_case(uow, world.staff["social_worker"], INTAKE).public_id


def _count(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(FormVersion)) or 0)


def test_a_deploy_snapshots_its_forms_and_the_same_content_is_never_stored_twice(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    with make_uow() as uow:
        latest = versions.latest_version(uow, KEY)
        assert latest is not None
        linked = form_versions.linked(uow, latest.id)
        assert sorted(linked) == ["note", "review"]
        before = _count(uow)
        again = versions.deploy(uow, mini_pathway(), fixture_forms, world.staff["coordinator"])
        assert again.id == latest.id and _count(uow) == before == 2  # nothing new: same diagram, same forms
        other = versions.deploy(
            uow, mini_pathway("crisis_centre_child"), fixture_forms, world.staff["coordinator"]
        )
        assert form_versions.linked(uow, other.id) == linked  # the same content is the same version


def test_a_running_case_keeps_its_form_while_a_new_case_gets_the_new_one(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    coordinator, worker = world.staff["coordinator"], world.staff["social_worker"]
    extra = {"type": "string", "title": "Подпис", "x-title-en": "Signature", "minLength": 1}
    with make_uow() as uow:
        old_case = _open(uow, world)
        body = json.dumps(_note_with(fixture_forms, signature=extra)).encode()
        view = form_drafts.save_form_draft(uow, coordinator, "note", body, fixture_forms)
        assert view.verdict == "valid" and view.source == "draft"
        # the draft changes nothing until a pathway that uses the form is deployed
        [task] = open_tasks(uow, old_case)
        assert (
            "signature" not in cases.forms_of_task(uow, task, fixture_forms).get("note").schema["properties"]
        )
        v2 = versions.deploy(uow, mini_pathway(), fixture_forms, coordinator)
        assert v2.version == 2  # the same diagram with another form is a new version
        assert uow.session.scalar(select(FormDraft)) is None  # the draft is published
        new_case = _open(uow, world)
        [new_task] = open_tasks(uow, new_case)
        with pytest.raises(ValidationFailed) as refused:
            cases.complete_task(uow, worker, new_task.public_id, {"note": "ok"}, fixture_forms)
        assert "signature" in refused.value.fields
        with pytest.raises(ValidationFailed):  # the old form knows no signature: unknown in its draft
            drafts.save_draft(uow, worker, task.public_id, {"note": "x", "signature": "M"}, fixture_forms)
        drafts.save_draft(uow, worker, new_task.public_id, {"note": "x", "signature": "M"}, fixture_forms)
        cases.complete_task(uow, worker, task.public_id, {"note": "ok"}, fixture_forms)
        cases.complete_task(uow, worker, new_task.public_id, {"note": "ok", "signature": "M"}, fixture_forms)
        numbers = uow.session.execute(
            select(FormVersion.key, FormVersion.version, FormVersion.source).order_by(FormVersion.id)
        ).all()
        assert [tuple(row) for row in numbers][-1] == ("note", 2, "studio")
        assert "form.draft_save" in uow.session.scalars(select(AuditEvent.action)).all()


def test_a_form_cannot_lose_a_field_that_a_deployed_expression_reads(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    coordinator = world.staff["coordinator"]
    review = json.loads(json.dumps(fixture_forms.file_schema("review")))
    del review["properties"]["goals_met"]
    review["required"] = ["progress"]
    with make_uow() as uow:
        view = form_drafts.save_form_draft(
            uow, coordinator, "review", json.dumps(review).encode(), fixture_forms
        )
        assert view.verdict == "invalid"
        [problem] = [p for p in view.problems if p.code == "field_in_use"]
        assert problem.field == "goals_met" and problem.values["element"] == "goals"
        assert problem.values["pathway"] == KEY and problem.values["kind"] == "condition"
        with pytest.raises(PathwayInvalid) as refused:
            versions.deploy(uow, mini_pathway(), fixture_forms, coordinator)
        assert "goals_met" in refused.value.problems[0].message
        # dropping a field nothing reads is fine (progress is only shown)
        review = json.loads(json.dumps(fixture_forms.file_schema("review")))
        del review["properties"]["progress"]
        review["required"] = ["goals_met"]
        view = form_drafts.save_form_draft(
            uow, coordinator, "review", json.dumps(review).encode(), fixture_forms
        )
        assert view.verdict == "valid"


def test_a_script_read_is_named_too(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    note = json.loads(json.dumps(fixture_forms.file_schema("note")))
    del note["properties"]["risk"]
    with make_uow() as uow:
        view = form_drafts.save_form_draft(
            uow, world.staff["coordinator"], "note", json.dumps(note).encode(), fixture_forms
        )
        [problem] = [p for p in view.problems if p.code == "field_in_use"]
        assert (problem.field, problem.values["element"], problem.values["kind"]) == (
            "risk",
            "score",
            "script",
        )


def test_forms_of_a_called_pathway_are_snapshotted_with_the_caller(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    shared = (CONSTRUCTS / "shared_review.bpmn").read_bytes().replace(b'value="note"', b'value="signed_note"')
    with make_uow() as uow:
        versions.deploy(uow, shared, fixture_forms, world.staff["coordinator"], "shared_review.bpmn")
        caller = versions.deploy(uow, construct("call_activity"), fixture_forms, world.staff["coordinator"])
        assert sorted(form_versions.linked(uow, caller.id)) == ["note", "signed_note"]


def test_draft_problems_are_coded_and_malformed_bodies_refused(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        save = form_drafts.save_form_draft
        with pytest.raises(form_drafts.MalformedForm):
            save(uow, coordinator, "note", b"{not json", fixture_forms)
        with pytest.raises(FileTooLarge):
            save(uow, coordinator, "note", b" " * (form_drafts.MAX_SCHEMA_BYTES + 1), fixture_forms)
        with pytest.raises(NotFound):
            save(uow, coordinator, "Bad Key", b"{}", fixture_forms)
        assert uow.session.scalar(select(FormDraft)) is None
        bad = {
            "type": "object",
            "title": "Т",
            "properties": {"Age": {"type": "integr"}, "ok": {"type": "string"}},
        }
        view = save(uow, coordinator, "brand_new", json.dumps(bad).encode(), fixture_forms)
        codes = {(p.field, p.code, p.severity) for p in view.problems}
        assert ("Age", "schema_invalid", "error") in codes
        assert ("Age", "field_name_invalid", "error") in codes
        assert ("ok", "title_missing", "warning") in codes and (
            "_form",
            "title_en_missing",
            "warning",
        ) in codes
        assert save(uow, coordinator, "brand_new", b'{"type": "array"}', fixture_forms).verdict == "invalid"
        with pytest.raises(ValidationFailed):  # not even an object: nothing to keep as a draft
            save(uow, coordinator, "brand_new", b"[]", fixture_forms)
        assert "brand_new" in [info.key for info in form_list.list_forms(uow, coordinator, fixture_forms)]


@pytest.mark.parametrize("role", ["social_worker", "case_lead", "psychologist", "admin"])
def test_case_workers_do_not_edit_forms(
    role: str, world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    with make_uow() as uow, pytest.raises(PermissionDenied):
        form_drafts.save_form_draft(uow, world.staff[role], "note", b"{}", fixture_forms)


def test_what_an_expression_reads_is_its_loaded_names_and_string_keys() -> None:
    script = Reading("s", "script", 'goals_met = False\nscore = risk + data["age"]')
    assert names_read(script) == {"risk", "data", "age"}  # goals_met and score are written, not read
    assert names_read(Reading("t", "timer", 'add_duration(admitted_at, "P6M")')) == {
        "admitted_at",
        "add_duration",
    }

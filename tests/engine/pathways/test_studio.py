"""The studio's drafts, diff, deploy with a note, and the manager's approval of a change to a clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.errors import ConcurrencyConflict, NotFound, PathwayInvalid, PermissionDenied, ValidationFailed
from engine.pathways import diff, studio, studio_deploy, studio_scenarios, versions
from engine.pathways.forms import FormCatalog
from engine.people.permissions import Principal
from engine.store.models import AuditEvent, Notification, PathwayApproval, PathwayDraft
from engine.store.uow import UnitOfWork
from tests.engine.conftest import World, mini_pathway

KEY = "crisis_centre_adult"


@pytest.fixture
def scenarios_dir(tmp_path: Path) -> Path:
    folder = tmp_path / KEY / "scenarios"
    folder.mkdir(parents=True)
    scenario = {
        "name": "assessment within a day",
        "start": "2026-08-31T10:00:00+03:00",
        "data": {"risk": "low", "goals_met": True},
        "until": "2026-12-31",
        "expect": [{"task": "assess", "due": "2026-09-01"}, {"timer": "wait_month", "fired": "2026-10-01"}],
    }
    (folder / "01.json").write_text(json.dumps(scenario), encoding="utf-8")
    return tmp_path


def _save(uow: UnitOfWork, who: Principal, data: bytes, forms: FormCatalog) -> studio.DraftView:
    return studio.save_draft(uow, who, KEY, data, forms)


def test_a_saved_draft_is_stored_with_its_verdict_and_coded_problems(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        view = _save(
            uow, coordinator, mini_pathway(KEY, {'value="review"': 'value="no_such_form"'}), fixture_forms
        )
        assert view.author == "t-coordinator" and view.status == "draft"
        problem = next(p for p in view.verdict.problems if p.element_id == "review")
        assert (problem.code, problem.severity) == ("form_unknown", "error")
        again = studio.get_draft(uow, world.staff["manager"], KEY, fixture_forms)
        assert again.sha256 == view.sha256 and again.verdict.problems == view.verdict.problems
        actions = uow.session.scalars(select(AuditEvent.action)).all()
        assert "pathway.draft_save" in actions


def test_a_doctype_is_refused_and_nothing_is_stored(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    with make_uow() as uow:
        with pytest.raises(studio.UnsafeDocument):
            _save(uow, world.staff["coordinator"], evil, fixture_forms)
        assert uow.session.scalar(select(PathwayDraft)) is None


@pytest.mark.parametrize("role", ["social_worker", "case_lead", "manager", "admin"])
def test_only_coordinators_save_drafts(
    role: str, world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    with make_uow() as uow, pytest.raises(PermissionDenied):
        _save(uow, world.staff[role], mini_pathway(KEY), fixture_forms)


def test_case_workers_do_not_read_the_studio(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog
) -> None:
    with make_uow() as uow:
        for who in (world.staff["social_worker"], world.outsider, world.staff["admin"]):
            with pytest.raises(PermissionDenied):
                studio.list_versions(uow, who, KEY)
        assert [v.version for v in studio.list_versions(uow, world.staff["manager"], KEY)] == [1]


def test_deploy_needs_a_note_and_a_change(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog, scenarios_dir: Path
) -> None:
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        commented = mini_pathway(KEY).replace(b"<bpmn:process", b"<!-- a comment -->\n  <bpmn:process")
        _save(uow, coordinator, commented, fixture_forms)
        with pytest.raises(ValidationFailed) as no_note:
            studio_deploy.deploy_draft(uow, coordinator, KEY, "  ", fixture_forms, scenarios_dir)
        assert "note" in no_note.value.fields
        with pytest.raises(ValidationFailed, match="nothing changed"):
            studio_deploy.deploy_draft(uow, coordinator, KEY, "comment", fixture_forms, scenarios_dir)


def test_a_new_label_deploys_at_once(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog, scenarios_dir: Path
) -> None:
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        _save(uow, coordinator, mini_pathway(KEY, {'name="Plan review"': 'name="Review"'}), fixture_forms)
        diff = studio.diff_sides(uow, coordinator, KEY, "1", "draft")
        assert diff.as_json() == {
            "added": [], "removed": [],
            "changed": [{"id": "review", "changes": {"name": ["Plan review", "Review"]}}],
        }  # fmt: skip
        outcome = studio_deploy.deploy_draft(
            uow, coordinator, KEY, "clearer name", fixture_forms, scenarios_dir
        )
        assert outcome.version == 2 and outcome.approval_id is None
        assert versions.latest_version(uow, KEY).note == "clearer name"  # type: ignore[union-attr]
        assert uow.session.scalar(select(PathwayDraft)) is None


def test_a_timer_change_waits_for_a_manager_who_is_not_its_author(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog, scenarios_dir: Path
) -> None:
    coordinator, manager = world.staff["coordinator"], world.staff["manager"]
    six_weeks = mini_pathway(KEY, {"<bpmn:timeDuration>P1M<": "<bpmn:timeDuration>P6W<"})
    with make_uow() as uow:
        _save(uow, coordinator, six_weeks, fixture_forms)
        with pytest.raises(ValidationFailed) as failing:
            studio_deploy.deploy_draft(uow, coordinator, KEY, "six weeks", fixture_forms, scenarios_dir)
        assert "wait_month fired 2026-10-01, got 2026-10-13" in failing.value.fields["confirm_failures"][0]
        outcome = studio_deploy.deploy_draft(
            uow, coordinator, KEY, "six weeks", fixture_forms, scenarios_dir, confirm_failures=True
        )
        assert outcome.version is None and [r.line() for r in outcome.reasons] == [
            "wait_month: timer P1M → P6W"
        ]
        assert outcome.approval_id is not None
        told = uow.session.scalars(
            select(Notification.user_id).where(Notification.kind == "pathway.approval")
        )
        assert list(told) == [manager.user_id]  # the centre's manager, not the coordinator who asked
        assert versions.latest_version(uow, KEY).version == 1  # type: ignore[union-attr]
        with pytest.raises(ValidationFailed):  # the draft is frozen while it waits
            _save(uow, coordinator, six_weeks, fixture_forms)
        for who in (coordinator, world.staff["case_lead"], world.staff["social_worker"], world.outsider):
            with pytest.raises(PermissionDenied):
                studio_deploy.decide(uow, who, outcome.approval_id, "approve", "", fixture_forms)
        with pytest.raises(ValidationFailed):
            studio_deploy.decide(uow, manager, outcome.approval_id, "reject", " ", fixture_forms)
        view = studio_deploy.decide(uow, manager, outcome.approval_id, "approve", "agreed", fixture_forms)
        assert (view.status, view.version, view.requested_by) == ("approved", 2, "t-coordinator")
        latest = versions.latest_version(uow, KEY)
        assert latest is not None and latest.deployed_by_id == coordinator.user_id
        with pytest.raises(ConcurrencyConflict):
            studio_deploy.decide(uow, manager, outcome.approval_id, "reject", "late", fixture_forms)
        actions = list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert actions[-3:] == ["pathway.approval_request", "pathway.deploy", "pathway.approved"]


def test_a_rejected_change_leaves_the_draft_editable(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog, scenarios_dir: Path
) -> None:
    coordinator, manager = world.staff["coordinator"], world.staff["manager"]
    no_role = mini_pathway(KEY, {'value="psychologist"': 'value="case_lead"'})
    with make_uow() as uow:
        _save(uow, coordinator, no_role, fixture_forms)
        outcome = studio_deploy.deploy_draft(uow, coordinator, KEY, "lead", fixture_forms, scenarios_dir)
        assert outcome.reasons == (
            diff.ApprovalReason("reassess", "changed", "role", "psychologist", "case_lead"),
        )
        assert outcome.approval_id is not None
        view = studio_deploy.decide(
            uow, manager, outcome.approval_id, "reject", "keep the psychologist", fixture_forms
        )
        assert view.status == "rejected" and versions.latest_version(uow, KEY).version == 1  # type: ignore[union-attr]
        assert studio.get_draft(uow, coordinator, KEY, fixture_forms).status == "draft"
        assert uow.session.scalar(select(PathwayApproval.reason)) == "keep the psychologist"


def test_simulate_and_test_the_draft(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog, scenarios_dir: Path
) -> None:
    coordinator = world.staff["coordinator"]
    with make_uow() as uow:
        with pytest.raises(NotFound):
            studio_scenarios.run_draft_tests(uow, coordinator, KEY, scenarios_dir, fixture_forms)
        _save(uow, coordinator, mini_pathway(KEY), fixture_forms)
        report = studio_scenarios.run_draft_tests(uow, coordinator, KEY, scenarios_dir, fixture_forms)
        assert (report.passed, report.failed) == (1, [])
        scenario = {
            "name": "s",
            "start": "2026-08-31T10:00:00+03:00",
            "until": "2026-09-05",
            "expect": [{"incident": False}],
        }
        steps = studio.simulate_draft(uow, coordinator, KEY, scenario, fixture_forms)
        assert steps[0]["element_id"] == "assess" and steps[0]["due_at"].startswith("2026-09-01")
        _save(uow, coordinator, mini_pathway(KEY, {'value="note"': 'value=""'}), fixture_forms)
        with pytest.raises(PathwayInvalid):
            studio_scenarios.run_draft_tests(uow, coordinator, KEY, scenarios_dir, fixture_forms)


def test_a_coordinator_updates_the_scenarios_a_clock_change_breaks(
    world: World, make_uow: Callable[[], UnitOfWork], fixture_forms: FormCatalog, scenarios_dir: Path
) -> None:
    """Six-weekly reviews break the file's expectation; the updated scenario travels with the draft to
    the manager and is deployed with the version, and the next draft is tested with it."""
    coordinator, manager = world.staff["coordinator"], world.staff["manager"]
    with make_uow() as uow:
        _save(
            uow,
            coordinator,
            mini_pathway(KEY, {"<bpmn:timeDuration>P1M<": "<bpmn:timeDuration>P6W<"}),
            fixture_forms,
        )
        before = studio_scenarios.run_draft_tests(uow, coordinator, KEY, scenarios_dir, fixture_forms)
        assert before.passed == 0 and before.failed[0]["name"] == "01"
        assert before.results[0]["passed"] is False and "2026-10-13" in before.results[0]["message"]
        listed = studio_scenarios.list_scenarios(uow, manager, KEY, scenarios_dir)
        assert [(s["name"], s["edited"]) for s in listed] == [("01", False)]
        updated = dict(listed[0]["scenario"])
        updated["expect"] = [
            {"task": "assess", "due": "2026-09-01"},
            {"timer": "wait_month", "fired": "2026-10-13"},
        ]
        for who in (world.staff["social_worker"], manager, world.outsider):
            with pytest.raises(PermissionDenied):
                studio_scenarios.save_scenario(uow, who, KEY, "01", updated, fixture_forms)
        with pytest.raises(ValidationFailed) as bad_name:
            studio_scenarios.save_scenario(uow, coordinator, KEY, "../01", updated, fixture_forms)
        assert "name" in bad_name.value.fields
        with pytest.raises(ValidationFailed) as bad_scenario:
            studio_scenarios.save_scenario(uow, coordinator, KEY, "01", {"name": "x"}, fixture_forms)
        assert bad_scenario.value.fields  # names what is missing
        ran = studio_scenarios.save_scenario(uow, coordinator, KEY, "01", updated, fixture_forms)
        assert ran == {"name": "01", "passed": True, "failures": []}
        after = studio_scenarios.run_draft_tests(uow, coordinator, KEY, scenarios_dir, fixture_forms)
        assert (after.passed, after.failed) == (1, [])
        outcome = studio_deploy.deploy_draft(uow, coordinator, KEY, "six weeks", fixture_forms, scenarios_dir)
        assert outcome.approval_id is not None  # no failing scenario to confirm: only the manager's eyes
        with pytest.raises(ValidationFailed):  # frozen while it waits, the scenarios too
            studio_scenarios.save_scenario(uow, coordinator, KEY, "01", updated, fixture_forms)
        studio_deploy.decide(uow, manager, outcome.approval_id, "approve", "agreed", fixture_forms)
        latest = versions.latest_version(uow, KEY)
        assert latest is not None and latest.scenarios == {"01": updated}
        # the next draft is tested with what was deployed, not with the file beside the pathway
        studio.open_version_as_draft(uow, coordinator, KEY, latest.version, fixture_forms)
        listed = studio_scenarios.list_scenarios(uow, coordinator, KEY, scenarios_dir)
        assert listed == [{"name": "01", "scenario": updated, "error": "", "edited": False}]
        actions = list(uow.session.scalars(select(AuditEvent.action)))
        assert "pathway.scenario_save" in actions

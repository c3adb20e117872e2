"""Call activities: a called process in the same file, and a shared sub-pathway deployed on its own,
pinned to the version that was current when the caller was deployed."""

from __future__ import annotations

from datetime import timedelta

from engine.pathways.lint import check_document, pathway_files
from tests.constructs.casework_run import CONSTRUCTS, CaseRun, construct

SHARED = (CONSTRUCTS / "shared_review.bpmn").read_bytes()
SHARED_V2 = SHARED.replace(b"Plan review (v1)", b"Plan review (v2)")


def task_names(run: CaseRun) -> list[str]:
    return [row.task_name for row in run.inbox()]


def test_a_case_runs_the_callee_version_deployed_with_its_pathway(
    make_committed_uow, committed_world, fixture_forms, clock
):
    run = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    run.deploy(SHARED, "shared_review.bpmn")
    caller = run.deploy(construct("call_activity"))
    run.deploy(SHARED_V2, "shared_review.bpmn")  # a newer shared review after the caller was deployed
    run.open()
    assert task_names(run) == ["Interview"]  # the called process of the same file
    run.complete("interview")
    assert run.deadlines() == [("settle_in", clock.now() + timedelta(days=3))]
    run.fire_next_deadline()
    assert task_names(run) == ["Plan review (v1)"]  # pinned: the version current at the caller's deploy
    run.complete("plan_review")
    assert run.status() == "closed"
    # deploying the same caller again pins the newer shared review, as a new version of the caller
    again = run.deploy(construct("call_activity"))
    assert again.version == caller.version + 1
    second = CaseRun(make_committed_uow, committed_world, fixture_forms, clock)
    second.open()
    second.complete("interview")
    second.fire_next_deadline()
    assert task_names(second) == ["Plan review (v2)"]
    assert task_names(run) == []


def test_a_missing_callee_is_reported_by_the_call_activity_id(fixture_forms):
    verdict, parsed = check_document(construct("call_activity"), fixture_forms, "caller.bpmn")
    assert parsed is None
    assert [(p.element_id, p.message) for p in verdict.problems] == [
        (
            "call_review",
            "calls 'shared_review', which is neither a process in this file nor a deployed pathway",
        )
    ]


def test_a_second_uncalled_executable_process_is_still_refused(fixture_forms):
    data = construct(
        "call_activity",
        {
            'calledElement="intake_steps"': 'calledElement="shared_review"',
            'name="Intake steps" isExecutable="false"': 'name="Intake steps" isExecutable="true"',
        },
    )
    verdict, _ = check_document(data, fixture_forms, "caller.bpmn", callees=lambda key: (SHARED, 1))
    assert [p.element_id for p in verdict.problems] == ["intake_steps"]


def test_check_and_simulate_find_a_called_pathway_among_the_pathway_files(tmp_path, fixture_forms):
    (tmp_path / "shared_review").mkdir()
    (tmp_path / "shared_review" / "shared_review.bpmn").write_bytes(SHARED)
    verdict, parsed = check_document(
        construct("call_activity"), fixture_forms, "caller.bpmn", callees=pathway_files(tmp_path)
    )
    assert verdict.valid, verdict.summary()
    assert parsed is not None and parsed.called == {"shared_review": 0}  # a file: not a deployed version
    assert pathway_files(tmp_path)("../shared_review") is None

"""Engine benchmarks: parse, open, complete (vs raw SpiffWorkflow), stored bytes per finished case.

Every figure comes from running the real code on this machine; nothing here is a timed test. Raw
SpiffWorkflow is measured on the same diagram and the same step: load the serialized workflow with the
library's own JSON serializer, complete the same user task, serialize it again.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from bench.databases import scratch_databases
from engine import cases, pathways, runtime
from engine.centres import ensure_centre
from engine.clock import FrozenClock, add_duration, days_between, isoformat_local, parse_instant
from engine.config import PROJECT_ROOT
from engine.demo import CasePlan, make_case, username_for
from engine.forms import FormCatalog
from engine.permissions import SYSTEM, Principal
from engine.roles import CASEWORK_ROLES
from engine.services import Services
from engine.store.models import Case, CaseTask
from engine.users import create_user, find_user

Result = tuple[str, float, str]
PATHWAY = PROJECT_ROOT / "workflows" / "pathways" / "crisis_centre_adult" / "crisis_centre_adult.bpmn"
ADMISSION = "2025-08-31T10:00:00+03:00"


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def p50(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3)


def run(quick: bool) -> list[Result]:
    forms = FormCatalog(PROJECT_ROOT / "workflows" / "forms")
    data = PATHWAY.read_bytes()
    results: list[Result] = [
        ("pathway_parse_ms", p50(timed(lambda: _parse(data, forms), 5 if quick else 20)), "ms")
    ]
    results.extend(import_check_ms(forms))
    raw_ms = raw_spiff_step_ms(data, 30 if quick else 200)
    results.append(("raw_spiff_load_complete_save_ms", raw_ms, "ms"))
    for backend, url in scratch_databases():
        services = _services(url, forms)
        open_ms, complete_ms = _case_steps(services, data, 20 if quick else 100)
        results.append((f"open_case_ms_{backend}", open_ms, "ms"))
        results.append((f"complete_task_with_commit_ms_{backend}", complete_ms, "ms"))
        results.append((f"engine_overhead_ratio_{backend}", round(complete_ms / raw_ms, 2), "x"))
        results.append(
            (f"stored_state_bytes_per_finished_case_{backend}", _finished_case_bytes(services), "bytes")
        )
        services.engine.dispose()
    return results


HOSTILE = {
    "billion_laughs": b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %c "&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;&%c;">' % ((98 + i,) + (97 + i,) * 10)
        for i in range(9)
    )
    + b"]><l>&j;</l>",
    "external_entity": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
    "oversized": b"<a>" + b"x" * (5 * 1024 * 1024) + b"</a>",
    "many_elements": b"<a>" + b"<b/>" * 60_000 + b"</a>",
    "deep_nesting": b"<a>" * 100_000 + b"</a>" * 100_000,
}


def import_check_ms(forms: FormCatalog) -> list[Result]:
    """The importer on hostile input (worst case) and on all MIWG conformance files (total)."""
    worst = max(max(timed(lambda d=d: pathways.check_document(d, forms), 3)) for d in HOSTILE.values())
    results: list[Result] = [("hostile_import_check_max_ms", round(worst, 2), "ms")]
    miwg = sorted((PROJECT_ROOT.parent / "shared" / "conformance" / "miwg").rglob("*.bpmn"))
    if miwg:
        files = [path.read_bytes() for path in miwg]
        total = timed(lambda: [pathways.check_document(d, forms) for d in files], 1)[0]
        results.append(("miwg_check_all_files_ms", round(total, 1), "ms"))
        results.append(("miwg_files", float(len(files)), "files"))
    return results


def _parse(data: bytes, forms: FormCatalog) -> None:
    verdict, parsed = pathways.check_document(data, forms)
    assert parsed is not None, verdict.summary()


def _services(url: str, forms: FormCatalog) -> Services:
    from engine.config import Settings

    return Services.from_settings(Settings(database_url=url), clock=FrozenClock(parse_instant(ADMISSION)))


def _world(services: Services, data: bytes) -> Principal:
    with services.uow() as uow:
        centre = ensure_centre(uow, SYSTEM, "kc-bench", "КЦ Бенчмарк", "crisis_centre", 1000)
        pathways.deploy(uow, data, services.forms, SYSTEM, "bench")
        uow.commit()
        return Principal(None, "bench", {centre.id: "manager"})


def _case_steps(services: Services, data: bytes, count: int) -> tuple[float, float]:
    """Median ms to open a case, and to complete its first task through the service with the commit."""
    manager = _world(services, data)
    intake = cases.Intake("kc-bench", "Бенчмарк", "referral", "domestic_violence", referral_number="B-1")
    opened: list[int] = []

    def open_one() -> None:
        with services.uow() as uow:
            opened.append(cases.open_case(uow, manager, intake, services.forms).id)
            uow.commit()

    open_samples = timed(open_one, count)
    complete_samples = []
    for case_id in opened:
        with services.uow() as uow:
            task = uow.session.query(CaseTask).filter_by(case_id=case_id, status="open").first()
            assert task is not None
            who = Principal(None, "bench", {task.centre_id: task.role})
            values = services.forms.get(task.form_key).defaults()
            public_id = task.public_id
        start = time.perf_counter()
        with services.uow() as uow:
            cases.complete_task(uow, who, public_id, values, services.forms)
            uow.commit()
        complete_samples.append((time.perf_counter() - start) * 1000)
    return p50(open_samples), p50(complete_samples)


def _finished_case_bytes(services: Services) -> float:
    """Run one case through the whole pathway with tasks done on time, then measure what it stores."""
    plan = CasePlan(
        "kc-bench", "Бенчмарк", date(1990, 1, 1), "referral", "domestic_violence", days_ago=400, lag_days=1
    )
    with services.uow() as uow:  # make_case completes tasks as the demo users of the plan's centre
        for role in CASEWORK_ROLES:
            if find_user(uow, username_for("kc-bench", role)) is None:
                create_user(uow, SYSTEM, username_for("kc-bench", role), "bench-password-1", "kc-bench", role)
        uow.commit()
    case_id = make_case(services, plan, datetime.now(UTC))
    with services.uow() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None and case.status == "closed", "the benchmark case did not finish"
        return float(len(case.workflow_state))


def raw_spiff_step_ms(data: bytes, repeat: int) -> float:
    """SpiffWorkflow on its own: deserialize (spec included), complete the first task, serialize."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.task import TaskState

    # The library's default environment, given the helpers our diagrams call (benchmark only).
    helpers = {
        "add_duration": lambda at, d: isoformat_local(add_duration(parse_instant(str(at)), d)),
        "days_between": lambda a, b: days_between(parse_instant(str(a)), parse_instant(str(b))),
    }
    engine = PythonScriptEngine(environment=TaskDataEnvironment(helpers))
    parser = SpiffBpmnParser()
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    parser.add_bpmn_xml(root, filename=Path(PATHWAY).name)
    process_id = runtime.process_ids(root)[0]
    workflow = BpmnWorkflow(
        parser.get_spec(process_id), parser.get_subprocess_specs(process_id), script_engine=engine
    )
    start_data = {
        "admitted_at": ADMISSION,
        "legal_basis": "referral",
        "target_group": "domestic_violence",
        "is_child": False,
        "age": 30,
        "has_referral": True,
        "case_number": "B-1",
    }
    workflow.task_tree.data.update(start_data)
    for child in workflow.task_tree.children:
        child.data.update(start_data)
    workflow.do_engine_steps()
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    saved = serializer.serialize_json(workflow)
    forms = FormCatalog(PROJECT_ROOT / "workflows" / "forms")

    def step() -> None:
        loaded = serializer.deserialize_json(saved)
        loaded.script_engine = engine
        task = loaded.get_tasks(state=TaskState.READY, manual=True)[0]
        form = task.task_spec.extensions["properties"]["form"]
        task.data.update(forms.get(form).defaults())
        task.run()
        loaded.do_engine_steps()
        serializer.serialize_json(loaded)

    step()
    return p50(timed(step, repeat))

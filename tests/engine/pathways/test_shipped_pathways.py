"""The three shipped pathways: valid diagrams, valid forms, and every DOMAIN.md clock simulated end to end.

Each simulation runs on a FrozenClock from admission on 31 Aug 2025, 10:00 Sofia time. A step completes
one ready human task with its form's defaults (or scenario data) or, when nobody has work, jumps the
clock to the earliest waiting timer. The workflow's state goes through ``dump_state``/``load_state`` on
every step, as a case's state does between requests.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from engine.bpmn import checks, parsing, spiff, state
from engine.bpmn.properties import TaskProperties, raw_of_element, task_properties
from engine.clock import FrozenClock, add_duration
from engine.pathways.forms import FormCatalog
from engine.pathways.lint import check_document
from engine.people.roles import CASEWORK_ROLES, resolve_role

ROOT = Path(__file__).resolve().parents[3]
WORKFLOWS = ROOT / "workflows"
PATHWAYS = ("crisis_centre_adult", "crisis_centre_child", "community_support")
FORMS = FormCatalog(WORKFLOWS / "forms")

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
FLOW_NODES = (
    "startEvent", "endEvent", "userTask", "scriptTask", "manualTask", "exclusiveGateway", "parallelGateway",
    "subProcess", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent",
)  # fmt: skip

ADMITTED = "2025-08-31T10:00:00+03:00"


def at(text: str) -> datetime:
    """An instant written in Sofia time with its offset."""
    return datetime.fromisoformat(text)


def path_of(key: str) -> Path:
    return WORKFLOWS / "pathways" / key / f"{key}.bpmn"


def safe_root(key: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(path_of(key).read_bytes(), parser)


_PARSED: dict[str, tuple[parsing.ParsedPathway, str]] = {}


def parsed(key: str) -> tuple[parsing.ParsedPathway, str]:
    """Specs built once per pathway, with their JSON (what a deployed version stores)."""
    if key not in _PARSED:
        spec = check_document(path_of(key).read_bytes(), FORMS, key)[1]  # with its DMN decisions
        assert spec is not None
        _PARSED[key] = (spec, state.dump_spec(spec))
    return _PARSED[key]


def properties(task: etree._Element) -> TaskProperties:
    return task_properties(raw_of_element(task))


# --- simulation ---------------------------------------------------------------------------------------


@dataclass
class Seen:
    """A human task as it first became ready, and when."""

    at: datetime
    element_id: str
    role: str
    properties: TaskProperties


@dataclass
class Simulation:
    key: str
    start: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # element id -> form data
    hold: set[str] = field(default_factory=set)  # element ids nobody completes
    seen: list[Seen] = field(default_factory=list)
    timers_fired: list[tuple[datetime, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.parsed, self.spec_json = parsed(self.key)
        data = {
            "case_number": "КЦ-2025-001",
            "admitted_at": ADMITTED,
            "legal_basis": "referral",
            "target_group": "other",
            "is_child": False,
            "age": 34,
            "has_referral": True,
            **self.start,
        }
        self.clock = FrozenClock(at(data["admitted_at"]))
        self.wf = spiff.start(self.parsed, data, self.clock)
        self._ids: set[str] = set()
        self._note_ready()

    def _round_trip(self) -> None:
        dumped = state.dump_state(self.wf)
        self.wf = state.load_state(
            dumped, state.SERIALIZER_VERSION, state.load_spec(self.spec_json), self.clock
        )

    def _note_ready(self) -> None:
        for task in spiff.ready_human_tasks(self.wf):
            if task.id not in self._ids:
                self._ids.add(task.id)
                self.seen.append(
                    Seen(self.clock.now(), task.element_id, task.properties.role, task.properties)
                )

    def step(self) -> bool:
        """Do one thing; False when there is nothing left to do."""
        self._round_trip()
        if spiff.is_completed(self.wf):
            return False
        workable = [t for t in spiff.ready_human_tasks(self.wf) if t.element_id not in self.hold]
        if workable:
            task = workable[0]
            data = {**FORMS.get(task.properties.form).defaults(), **self.answers.get(task.element_id, {})}
            spiff.complete(self.wf, task.id, data)
        else:
            timers = spiff.waiting_timers(self.wf)
            if not timers:
                return False
            due = min(timer.due_at for timer in timers)
            self.clock.set(due)
            self.timers_fired.append((due, sorted(t.element_id for t in timers if t.due_at == due)))
            spiff.run(self.wf)
        self._note_ready()
        return True

    def run(self, until: Callable[[Simulation], bool] | None = None, max_steps: int = 300) -> Simulation:
        for _ in range(max_steps):
            if until is not None and until(self):
                return self
            if not self.step():
                return self
        raise AssertionError(f"{self.key}: no end after {max_steps} steps")

    def signal(self, name: str) -> bool:
        self._round_trip()
        caught = spiff.signal(self.wf, name)
        self._note_ready()
        return caught

    def complete(self, element_id: str, data: dict[str, Any] | None = None) -> None:
        """Complete the ready task of one element (held or not) with its form's defaults and ``data``."""
        self._round_trip()
        task = next(t for t in spiff.ready_human_tasks(self.wf) if t.element_id == element_id)
        spiff.complete(self.wf, task.id, {**FORMS.get(task.properties.form).defaults(), **(data or {})})
        self._note_ready()

    # what happened
    def first(self, element_id: str) -> Seen:
        found = [s for s in self.seen if s.element_id == element_id]
        assert found, f"{element_id} never became ready; seen: {[s.element_id for s in self.seen]}"
        return found[0]

    def times(self, element_id: str) -> list[datetime]:
        return [s.at for s in self.seen if s.element_id == element_id]

    def ever(self, element_id: str) -> bool:
        return any(s.element_id == element_id for s in self.seen)

    def ready(self) -> list[str]:
        return [t.element_id for t in spiff.ready_human_tasks(self.wf)]

    def data(self) -> dict[str, Any]:
        return spiff.workflow_data(self.wf)

    @property
    def completed(self) -> bool:
        return spiff.is_completed(self.wf)


def seen_ready(element_id: str) -> Callable[[Simulation], bool]:
    return lambda sim: element_id in sim.ready()


# --- the diagrams ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", PATHWAYS)
def test_diagram_is_valid_and_executable(key: str) -> None:
    data = path_of(key).read_bytes()
    assert b"<!DOCTYPE" not in data
    root = safe_root(key)
    assert parsing.process_ids(root) == [key]
    verdict, spec = check_document(data, FORMS, key)  # Casepath's own lint, SpiffWorkflow's parse, scripts
    assert verdict.valid, verdict.summary()
    assert spec is not None
    assert checks.check_scripts_of(parsed(key)[0]) == []


@pytest.mark.parametrize("key", PATHWAYS)
def test_every_user_task_names_a_role_a_form_and_english(key: str) -> None:
    root = safe_root(key)
    tasks = root.xpath("//bpmn:userTask", namespaces=NS)
    assert len(tasks) >= 10
    for task in tasks:
        props = properties(task)
        assert props.role in CASEWORK_ROLES, task.get("id")
        assert FORMS.exists(props.form), (task.get("id"), props.form)
        assert props.name_en, task.get("id")
        assert task.get("name"), task.get("id")
    for lane in root.xpath("//bpmn:lane", namespaces=NS):
        assert resolve_role(lane.get("name")) is not None, lane.get("name")


@pytest.mark.parametrize("key", PATHWAYS)
def test_diagram_interchange_is_complete_and_shapes_do_not_overlap(key: str) -> None:
    root = safe_root(key)
    bounds = {}
    for shape in root.xpath("//bpmndi:BPMNShape", namespaces=NS):
        box = shape.find("dc:Bounds", NS)
        bounds[shape.get("bpmnElement")] = tuple(float(box.get(a)) for a in ("x", "y", "width", "height"))
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS)
        for e in root.xpath("//bpmndi:BPMNEdge", namespaces=NS)
    }
    nodes = root.xpath(
        "|".join(f"//bpmn:{kind}" for kind in (*FLOW_NODES, "lane", "participant")), namespaces=NS
    )
    missing = [n.get("id") for n in nodes if n.get("id") not in bounds]
    assert not missing, f"no shape for {missing}"
    flows = root.xpath("//bpmn:sequenceFlow", namespaces=NS)
    assert all(len(edges.get(f.get("id"), [])) >= 2 for f in flows)
    for sub in root.xpath("//bpmn:subProcess", namespaces=NS):
        shape = root.xpath(f"//bpmndi:BPMNShape[@bpmnElement='{sub.get('id')}']", namespaces=NS)[0]
        assert shape.get("isExpanded") == "true"
    containers = [
        root.xpath("//bpmn:process", namespaces=NS)[0],
        *root.xpath("//bpmn:subProcess", namespaces=NS),
    ]
    for container in containers:
        children = [
            c.get("id")
            for c in container
            if isinstance(c.tag, str)
            and etree.QName(c).localname in FLOW_NODES
            and c.get("attachedToRef") is None
        ]
        for i, a in enumerate(children):
            for b in children[i + 1 :]:
                assert not _overlap(bounds[a], bounds[b]), f"{a} overlaps {b}"
        if etree.QName(container).localname == "subProcess":
            for child in children:
                assert _inside(bounds[child], bounds[container.get("id")]), (
                    f"{child} sticks out of its sub-process"
                )


@pytest.mark.parametrize("key", PATHWAYS)
def test_flows_do_not_run_through_shapes(key: str) -> None:
    root = safe_root(key)
    elements = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    boxes = {}
    for shape in root.xpath("//bpmndi:BPMNShape", namespaces=NS):
        if etree.QName(elements[shape.get("bpmnElement")]).localname not in ("lane", "participant"):
            box = shape.find("dc:Bounds", NS)
            boxes[shape.get("bpmnElement")] = tuple(float(box.get(a)) for a in ("x", "y", "width", "height"))
    for edge in root.xpath("//bpmndi:BPMNEdge", namespaces=NS):
        flow = elements[edge.get("bpmnElement")]
        ends = {
            flow.get("sourceRef"),
            flow.get("targetRef"),
            elements[flow.get("sourceRef")].get("attachedToRef"),
        }
        ends |= {a.get("id") for end in list(ends) if end for a in elements[end].iterancestors()}
        points = [(float(w.get("x")), float(w.get("y"))) for w in edge.findall("di:waypoint", NS)]
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow.get('id')} is not orthogonal"
            segment = (min(x1, x2), min(y1, y2), abs(x2 - x1), abs(y2 - y1))
            through = [i for i, box in boxes.items() if i not in ends and _overlap(segment, _shrunk(box))]
            assert not through, f"{flow.get('id')} runs through {through}"


def _shrunk(box: tuple[float, ...]) -> tuple[float, ...]:
    return (box[0] + 1, box[1] + 1, box[2] - 2, box[3] - 2)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _inside(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] >= b[0] and a[1] >= b[1] and a[0] + a[2] <= b[0] + b[2] and a[1] + a[3] <= b[1] + b[3]


# --- the forms --------------------------------------------------------------------------------------------


def _used_forms() -> set[str]:
    return {
        properties(task).form
        for key in PATHWAYS
        for task in safe_root(key).xpath("//bpmn:userTask", namespaces=NS)
    }


@pytest.mark.parametrize("form_key", sorted(_used_forms()))
def test_form_follows_the_conventions_and_its_defaults_are_valid(form_key: str) -> None:
    schema = FORMS.get(form_key).schema
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for attr in ("title", "description", "x-title-en", "x-description-en"):
        assert schema.get(attr), attr
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    _check_fields(schema["properties"])
    for name in schema["required"]:
        assert "default" in schema["properties"][name], f"required field {name} has no default"
    defaults = FORMS.get(form_key).defaults()
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(defaults)
    assert FORMS.validate(form_key, defaults) == defaults


def _check_fields(properties: dict, group: bool = False) -> None:  # type: ignore[type-arg]
    for name, spec in properties.items():
        assert spec.get("title") and spec.get("x-title-en"), name
        if "description" in spec:
            assert spec.get("x-description-en"), name
        if spec["type"] == "string" and "oneOf" not in spec and "format" not in spec:
            assert spec.get("maxLength") in (100, 200, 5000), name
        if "oneOf" in spec:
            assert all({"const", "title", "x-title-en"} <= set(option) for option in spec["oneOf"]), name
        if spec["type"] == "array" and spec["items"]["type"] == "object":
            # a repeating group ("Goal 1", "Goal 2" …): one level, its items titled, fields as above
            assert not group and spec.get("maxItems"), name
            items = spec["items"]
            assert items.get("title") and items.get("x-title-en") and items["additionalProperties"] is False
            _check_fields(items["properties"], group=True)
        elif spec["type"] == "array":
            assert spec.get("maxItems") and spec["items"]["type"] == "string", name
        if spec["type"] == "integer":
            assert "minimum" in spec and "maximum" in spec, name


# --- crisis centre, adult ------------------------------------------------------------------------------


def test_adult_default_run_reviews_monthly_plans_exit_at_p5m_and_is_capped_at_p6m() -> None:
    sim = Simulation("crisis_centre_adult").run()
    assert sim.completed
    assert not sim.ever("Task_NotifyDSP")  # referred by ДСП: nobody to notify
    assert sim.first("Task_InitialRisk").properties.due == "PT24H"
    assert sim.first("Task_NeedsAssessment").properties.due == "P7D"
    assert sim.first("Task_SupportPlan").properties.due == "P10D"
    # clock 7: the n-th monthly review at admission + n calendar months (never drifting), Sofia time
    assert sim.times("Task_PlanReview") == [
        at("2025-09-30T10:00+03:00"),
        at("2025-10-31T10:00+02:00"),
        at("2025-11-30T10:00+02:00"),
        at("2025-12-31T10:00+02:00"),
        at("2026-01-31T10:00+02:00"),
    ]
    # clock 11: exit planning at admission + P5M (31 Aug + 5 months = 31 Jan)
    planning = sim.first("Task_ExitPlanning")
    assert planning.at == at("2026-01-31T10:00+02:00") == add_duration(at(ADMITTED), "P5M")
    assert planning.role == "case_lead"
    # clock 12: the cap interrupts the stay at admission + P6M (31 Aug + 6 months = 28 Feb)
    decision = sim.first("Task_ExitDecision")
    assert decision.at == at("2026-02-28T10:00+02:00") == add_duration(at(ADMITTED), "P6M")
    assert decision.role == "manager"
    # the review that fell due the same day was cut off by the cap
    assert at("2026-02-28T10:00+02:00") not in sim.times("Task_PlanReview")
    assert "Timer_Cap" in spiff.completed_elements(sim.wf)
    assert "Script_CapReached" in spiff.completed_elements(sim.wf)
    # clock 13: final report, then follow-ups 1 and 3 months after closure (default: consent given)
    assert sim.first("Task_FinalReport").at == decision.at
    assert sim.times("Task_FollowUp1") == [at("2026-03-28T10:00+02:00")]
    assert sim.times("Task_FollowUp3") == [at("2026-05-28T10:00+03:00")]
    assert sim.data()["stay_end_reason"] == "cap"


def test_adult_cap_data_reaches_the_exit_decision() -> None:
    sim = Simulation("crisis_centre_adult").run(until=seen_ready("Task_ExitDecision"))
    task = next(t for t in spiff.ready_human_tasks(sim.wf) if t.element_id == "Task_ExitDecision")
    assert task.data["stay_end_reason"] == "cap"
    assert task.lane == "Управител"


def test_adult_urgent_arrival_without_referral_notifies_dsp_within_24_hours() -> None:
    sim = Simulation("crisis_centre_adult", start={"legal_basis": "urgent", "has_referral": False})
    first = sim.seen[0]
    assert first.element_id == "Task_NotifyDSP"
    assert first.role == "social_worker"
    assert first.properties.due == "PT24H"
    assert first.properties.legal_source == "ЗСУ чл. 77(3)"
    sim.run(until=seen_ready("Task_Admission"))
    assert sim.first("Task_Admission").at == at(ADMITTED)


def test_adult_goals_met_early_exits_before_the_cap_to_a_protected_home() -> None:
    sim = Simulation(
        "crisis_centre_adult",
        answers={
            "Task_PlanReview": {"goals_met": True},
            "Task_ExitDecision": {"exit_route": "protected_home"},
            "Task_FinalReport": {"followup_consent": False},
        },
    ).run()
    assert sim.completed
    assert sim.times("Task_PlanReview") == [at("2025-09-30T10:00+03:00")]
    assert sim.first("Task_ExitDecision").at == at("2025-09-30T10:00+03:00")
    assert sim.first("Task_ExitReferral").role == "social_worker"
    assert not sim.ever("Task_ExitPlanning")  # left before P5M: the boundary timer went with the stay
    assert not sim.ever("Task_FollowUp1")  # no consent, no follow-up
    assert "Timer_Cap" not in spiff.completed_elements(sim.wf)
    assert sim.data()["stay_end_reason"] == "goals_met"


def test_adult_unperformed_review_escalates_to_the_case_lead_after_7_days() -> None:
    sim = Simulation("crisis_centre_adult", hold={"Task_PlanReview"})
    sim.run(until=seen_ready("Task_ReviewEscalation"))
    review, escalation = sim.first("Task_PlanReview"), sim.first("Task_ReviewEscalation")
    assert review.properties.due == "P7D"
    assert escalation.at == add_duration(review.at, "P7D") == at("2025-10-07T10:00+03:00")
    assert escalation.role == "case_lead"
    assert "Task_PlanReview" in sim.ready()  # non-interrupting: the review is still to be done


def test_adult_needs_assessment_breach_escalates_to_the_manager_after_20_days() -> None:
    sim = Simulation("crisis_centre_adult", hold={"Task_NeedsAssessment"})
    sim.run(until=seen_ready("Task_NeedsEscalation"))
    escalation = sim.first("Task_NeedsEscalation")
    assert escalation.at == add_duration(sim.first("Task_NeedsAssessment").at, "P20D")
    assert escalation.role == "manager"


def test_adult_trafficking_path_waits_the_30_day_reflection_period() -> None:
    sim = Simulation(
        "crisis_centre_adult", start={"target_group": "trafficking", "legal_basis": "trafficking_referral"}
    )
    sim.answers["Task_TraffickingIdentification"] = {"identified_on": "2025-08-25"}
    sim.run(until=seen_ready("Task_ReflectionOutcome"))
    outcome = sim.first("Task_ReflectionOutcome")
    # 30 days from the formal identification (ЗБТХ чл. 26), not from when the form was filled in
    assert outcome.at == at("2025-09-24T00:00+03:00")
    assert outcome.properties.legal_source == "ЗБТХ чл. 26"
    assert any("Timer_Reflection" in ids for _, ids in sim.timers_fired)
    assert not sim.ever("Task_DVProtection")


def test_adult_domestic_violence_path_asks_for_protection_in_24_hours_and_applies_within_3_months() -> None:
    sim = Simulation("crisis_centre_adult", start={"target_group": "domestic_violence"})
    sim.run(until=seen_ready("Task_DVProtection"))
    task = sim.first("Task_DVProtection")
    assert task.properties.due == "PT24H"
    assert task.properties.legal_source == "ЗЗДН чл. 18"
    assert not sim.ever("Task_TraffickingIdentification")
    sim.run(until=seen_ready("Task_DVApplication"))  # no application filed yet: 3 months to file it
    application = sim.first("Task_DVApplication")
    assert application.properties.due == "P3M"
    assert application.properties.legal_source == "ЗЗДН чл. 10"
    assert sim.run().completed


def test_adult_domestic_violence_application_already_filed_skips_the_application_task() -> None:
    sim = Simulation(
        "crisis_centre_adult",
        start={"target_group": "domestic_violence"},
        answers={"Task_DVProtection": {"application_filed": True}},
    ).run()
    assert sim.completed
    assert sim.ever("Task_DVProtection") and not sim.ever("Task_DVApplication")


# --- crisis centre, child ------------------------------------------------------------------------------

CHILD = {
    "legal_basis": "order",
    "order_date": "2025-08-30",
    "is_child": True,
    "age": 11,
    "target_group": "child_at_risk",
}
POLICE = {**{k: v for k, v in CHILD.items() if k != "order_date"}, "legal_basis": "police"}  # no order yet
ORDER = {"order_issued": True, "order_date": "2025-09-01"}  # the police order check finds an order


def test_child_default_run_appeal_window_transition_statutory_review_and_reintegration() -> None:
    sim = Simulation("crisis_centre_child", start=CHILD).run()
    assert sim.completed
    assert not sim.ever("Task_NotifyOZD") and not sim.ever("Task_NotifyUrgent")
    assert sim.first("Task_CoordinationMechanism").properties.legal_source == "ЗЗД чл. 36г(2)"
    for task, role in (("Task_CrisisIntervention", "psychologist"), ("Task_MedicalCheck", "medical"),
                       ("Task_SchoolContinuity", "educator")):  # fmt: skip
        assert sim.first(task).role == role
        assert sim.first(task).at == at(ADMITTED)  # all at once on arrival
    # parents' appeal window: 14 days from the order (ЗЗД чл. 27а), not from the stay
    assert sim.first("Task_AppealCheck").at == at("2025-09-13T00:00+03:00")
    assert sim.first("Task_TransitionPlanning").at == at("2026-01-31T10:00+02:00")
    review = sim.first("Task_StatutoryReview")
    assert review.at == at("2026-02-28T10:00+02:00")
    assert review.properties.legal_source == "ЗСУ чл. 90(3)"
    assert sim.first("Task_ChildExitDecision").role == "manager"
    assert sim.first("Task_ChildExitDecision").at == review.at  # the cap, the same day
    assert sim.ever("Task_CopReferral")  # default exit: family reintegration with a ЦОП referral
    assert sim.first("Task_FinalReport").at == review.at


def test_child_police_protection_notifies_ozd_in_24h_and_checks_for_an_order_at_48h() -> None:
    sim = Simulation("crisis_centre_child", start=POLICE, hold={"Task_OrderCheck"})
    notify = sim.run(until=seen_ready("Task_NotifyOZD")).first("Task_NotifyOZD")
    assert notify.properties.due == "PT24H" and notify.properties.due_from == "admitted_at"
    assert notify.properties.legal_source == "Наредба I-51"
    # during the 48 hours the stay's first steps run at once, and a change of risk is accepted
    for task in ("Task_InitialRisk", "Task_MedicalCheck", "Task_CoordinationMechanism"):
        assert sim.first(task).at == at(ADMITTED)
    assert "risk_changed" in spiff.waited_signals(sim.wf)
    sim.run(until=seen_ready("Task_OrderCheck"))
    (limit,) = [t for t in spiff.waiting_timers(sim.wf) if t.element_id == "Timer_PoliceLimit"]
    assert limit.due_at == at("2025-09-02T10:00+03:00")  # admission + PT48H
    sim.run(until=seen_ready("Task_PoliceExpiry"))
    assert sim.first("Task_PoliceExpiry").at == limit.due_at
    assert "Task_OrderCheck" not in sim.ready()  # 48 hours are over: the check is cut off
    sim.hold.clear()
    sim.run()
    assert sim.completed
    assert not sim.ever("Task_PlanReview")  # the child went back; the stay ended
    assert not spiff.waiting_timers(sim.wf)
    assert spiff.completed_elements(sim.wf)[-1] == "End_Returned"


def test_child_police_protection_with_an_order_continues_into_the_stay() -> None:
    sim = Simulation("crisis_centre_child", start=POLICE, answers={"Task_OrderCheck": ORDER})
    sim.run(until=seen_ready("Task_AppealCheck"))
    assert sim.first("Task_InitialRisk").at == at(ADMITTED)
    assert sim.first("Task_AppealCheck").at == at("2025-09-15T00:00+03:00")  # 14 days from the order
    assert not sim.ever("Task_PoliceExpiry")
    assert not [t for t in spiff.waiting_timers(sim.wf) if t.element_id == "Timer_PoliceLimit"]


def test_child_trafficking_referral_notifies_dazd_police_and_nkbth_within_24_hours() -> None:
    sim = Simulation(
        "crisis_centre_child",
        start={**CHILD, "legal_basis": "trafficking_referral", "target_group": "trafficking"},
    )
    sim.run(until=seen_ready("Task_NotifyTrafficking"))
    assert sim.first("Task_NotifyTrafficking").properties.due == "PT24H"


def test_child_goals_met_goes_to_residential_care_without_a_statutory_review() -> None:
    sim = Simulation(
        "crisis_centre_child",
        start={**CHILD, "legal_basis": "court"},
        answers={
            "Task_PlanReview": {"goals_met": True},
            "Task_ChildExitDecision": {"exit_route": "residential"},
        },
    ).run()
    assert sim.completed
    assert not sim.ever("Task_AppealCheck")  # a court decision has no parents' appeal window here
    assert not sim.ever("Task_StatutoryReview")
    assert sim.ever("Task_ResidentialCare") and not sim.ever("Task_CopReferral")


# --- risk changed, in both crisis centres ------------------------------------------------------------------

# (pathway, start data, the task at P5M, the first task after the cap, the exit decision)
STAYS = [
    ("crisis_centre_adult", {}, "Task_ExitPlanning", "Task_ExitDecision", "Task_ExitDecision"),
    (
        "crisis_centre_child",
        CHILD,
        "Task_TransitionPlanning",
        "Task_StatutoryReview",
        "Task_ChildExitDecision",
    ),
]
STAY_IDS = [stay[0] for stay in STAYS]


@pytest.mark.parametrize(("key", "start", "planning", "after_cap", "exit_decision"), STAYS, ids=STAY_IDS)
def test_risk_changed_creates_a_reassessment_every_time_during_the_stay(
    key: str, start: dict[str, Any], planning: str, after_cap: str, exit_decision: str
) -> None:
    sim = Simulation(key, start=start, hold={"Task_RiskReassessment"})
    for month in (1, 2, 3):  # a change of risk at each of the first three monthly reviews
        sim.run(until=lambda s, month=month: len(s.times("Task_PlanReview")) == month)
        assert "risk_changed" in spiff.waited_signals(sim.wf)
        assert sim.signal("risk_changed")
        assert sim.ready().count("Task_RiskReassessment") == 1
        assert len(sim.times("Task_RiskReassessment")) == month
        # one re-assessment at a time: while it is open, a further change is not waited for (it is
        # the open re-assessment's business), and nothing new is created
        assert "risk_changed" not in spiff.waited_signals(sim.wf)
        assert not sim.signal("risk_changed")
        assert sim.ready().count("Task_RiskReassessment") == 1
        assert len(sim.times("Task_RiskReassessment")) == month
        sim.complete("Task_RiskReassessment")
        assert "Task_RiskReassessment" not in sim.ready()
        assert "risk_changed" in spiff.waited_signals(sim.wf)  # waiting again, for the next change
        assert "Task_PlanReview" in sim.ready()  # the stay goes on: the signal does not interrupt it
    assert sim.times("Task_RiskReassessment") == sim.times("Task_PlanReview")[:3]
    reassessment = sim.first("Task_RiskReassessment")
    assert reassessment.at == at("2025-09-30T10:00+03:00")
    assert reassessment.role == "social_worker"
    assert reassessment.properties.due == "PT24H"
    assert "Timer_Cap" in {t.element_id for t in spiff.waiting_timers(sim.wf)}
    sim.run(until=seen_ready(after_cap))
    assert sim.first(after_cap).at == at("2026-02-28T10:00+02:00")  # the cap still ends the stay
    assert "risk_changed" not in spiff.waited_signals(sim.wf)
    assert sim.run().completed


@pytest.mark.parametrize(("key", "start", "planning", "after_cap", "exit_decision"), STAYS, ids=STAY_IDS)
def test_risk_loop_ends_with_the_stay_at_the_cap(
    key: str, start: dict[str, Any], planning: str, after_cap: str, exit_decision: str
) -> None:
    sim = Simulation(key, start=start, hold={"Task_RiskReassessment"}).run(until=seen_ready(planning))
    assert sim.signal("risk_changed")  # a re-assessment is open when the cap falls
    sim.run(until=seen_ready(after_cap))
    assert "Timer_Cap" in spiff.completed_elements(sim.wf)
    assert "risk_changed" not in spiff.waited_signals(sim.wf)
    assert "Task_RiskReassessment" not in sim.ready()  # it went with the stay
    assert not sim.signal("risk_changed")
    sim.hold.clear()
    assert sim.run().completed
    assert len(sim.times("Task_RiskReassessment")) == 1


@pytest.mark.parametrize(("key", "start", "planning", "after_cap", "exit_decision"), STAYS, ids=STAY_IDS)
def test_risk_loop_ends_with_the_stay_when_the_goals_are_met(
    key: str, start: dict[str, Any], planning: str, after_cap: str, exit_decision: str
) -> None:
    sim = Simulation(
        key, start=start, answers={"Task_PlanReview": {"goals_met": True}}, hold={"Task_RiskReassessment"}
    )
    sim.run(until=seen_ready("Task_PlanReview"))
    assert sim.signal("risk_changed")
    sim.complete("Task_RiskReassessment")
    assert sim.signal("risk_changed")  # still open when the goals are met
    sim.run(until=seen_ready(exit_decision))
    assert sim.first(exit_decision).at == at("2025-09-30T10:00+03:00")
    done = spiff.completed_elements(sim.wf)
    assert "End_Stay" in done and "Timer_Cap" not in done  # the stay's terminate end, not the cap
    assert "risk_changed" not in spiff.waited_signals(sim.wf)
    assert "Task_RiskReassessment" not in sim.ready()
    assert not any(t.element_id == "Timer_Cap" for t in spiff.waiting_timers(sim.wf))
    sim.hold.clear()
    assert sim.run().completed
    assert len(sim.times("Task_RiskReassessment")) == 2


# --- ЦОП -----------------------------------------------------------------------------------------------

COP = {
    "legal_basis": "walk_in",
    "is_child": True,
    "age": 12,
    "target_group": "child_at_risk",
    "has_referral": False,
}


def test_cop_specialised_default_run_reviews_quarterly_and_ends_with_the_contract() -> None:
    signed = {"Task_Contract": {"contract_signed_on": "2025-09-17"}}
    sim = Simulation("community_support", start=COP, answers=signed).run()
    assert sim.completed
    assert not sim.ever("Task_NotifyDSPParents")
    assert sim.first("Task_DSPReferral").properties.legal_source == "ЗСУ чл. 73–74"  # walk-in: no referral
    # clock 7: n x 3 months from the contract's signing; the last falls on the day the contract ends
    assert sim.times("Task_PlanReview") == [at("2025-12-17T00:00+02:00"), at("2026-03-17T00:00+02:00")]
    assert sim.first("Task_ContractExpiry").at == at("2026-03-17T00:00+02:00")  # contract term 6 months
    assert sim.first("Task_Closure").at == at("2026-03-17T00:00+02:00")
    assert not sim.ever("Task_Consultation")


def test_cop_open_access_closes_by_two_months() -> None:
    sim = Simulation(
        "community_support", start=COP, answers={"Task_Intake": {"service_type": "open_access"}}
    ).run()
    assert sim.completed
    sessions = sim.times("Task_Consultation")
    assert sessions[0] == at(ADMITTED) and len(sessions) == 9  # weekly while more help is wanted
    assert sim.first("Task_Closure").at == at("2025-10-31T10:00+02:00") == add_duration(at(ADMITTED), "P2M")
    assert "Timer_OpenAccessLimit" in spiff.completed_elements(sim.wf)
    assert not sim.ever("Task_NeedsAssessment")


def test_cop_open_access_may_close_before_two_months() -> None:
    sim = Simulation(
        "community_support",
        start=COP,
        answers={
            "Task_Intake": {"service_type": "open_access"},
            "Task_Consultation": {"continue_support": False},
        },
    ).run()
    assert sim.completed
    assert sim.first("Task_Closure").at == at(ADMITTED)


def test_cop_child_asking_for_help_notifies_dsp_and_parents() -> None:
    sim = Simulation("community_support", start={**COP, "legal_basis": "self_request"})
    first = sim.seen[0]
    assert first.element_id == "Task_NotifyDSPParents"
    assert first.properties.due == "PT24H"


def test_cop_violence_disclosed_interrupts_the_service() -> None:
    sim = Simulation("community_support", start=COP, answers={"Task_PlanReview": {"goals_met": False}})
    sim.run(until=lambda s: s.ever("Task_PlanReview"))
    assert "Task_PlanReview" in sim.ready()
    assert sim.signal("violence_disclosed")
    assert sim.ready() == ["Task_ViolenceReport"]  # the review and every timer of the service are gone
    report = sim.first("Task_ViolenceReport")
    assert report.properties.legal_source == "ЗЗД чл. 7"
    assert report.properties.due == "PT24H"
    assert [t.element_id for t in spiff.waiting_timers(sim.wf)] == ["Timer_ViolenceReportOverdue"]
    sim.run()
    assert sim.completed
    assert sim.first("Task_ViolenceHandover").role == "case_lead"
    assert sim.first("Task_ViolenceClosure").at == at(
        "2025-11-30T00:00+02:00"
    )  # 3 months from the contract day


@pytest.mark.parametrize(
    ("key", "start", "element", "recipient"),
    [
        ("crisis_centre_adult", {}, "Task_FinalReport", "dsp"),
        ("crisis_centre_child", CHILD, "Task_FinalReport", "ozd"),
        ("community_support", COP, "Task_Closure", "ozd"),
    ],
)
def test_final_report_opens_addressed_per_pathway(key, start, element, recipient) -> None:
    """One form, one default: each pathway's preScript pre-fills the recipient its report goes to."""
    sim = Simulation(key, start=start).run(until=seen_ready(element))
    task = next(t for t in spiff.ready_human_tasks(sim.wf) if t.element_id == element)
    assert spiff.prefill_of(task) == {"recipient": recipient}
    assert FORMS.get("final_report").defaults()["recipient"] == "dsp"

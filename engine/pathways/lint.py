"""Casepath's verdict on a diagram: executability, its lint rules, and SpiffWorkflow's own parse.

Every file gets a verdict: valid, or a list of problems naming element ids; "not executable: …" is a
verdict too, never a traceback. The rules are documented in docs/pathway-authoring.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from engine.bpmn import call_texts, checks, parsing, properties, property_checks
from engine.config import RunLimits
from engine.errors import PathwayInvalid, Problem
from engine.pathways import decisions as dmn
from engine.pathways.callees import Callees, pathway_files
from engine.pathways.event_rules import event_problems
from engine.pathways.forms import FormCatalog
from engine.pathways.importer import BPMN_NS, NS, lanes_of, parse_xml
from engine.pathways.limits import lint_lengths
from engine.people.roles import resolve_role

# Flow elements Casepath runs; anything else in an executable process is reported by id. A serviceTask
# runs only with one of Casepath's operations in its ``operation`` property (checked with the properties).
SUPPORTED = frozenset({
    "startEvent", "endEvent", "userTask", "scriptTask", "serviceTask", "manualTask", "task", "sendTask",
    "receiveTask", "businessRuleTask", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "subProcess", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "sequenceFlow", "dataObject", "callActivity", "transaction",
    "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "laneSet", "lane", "group",
})  # fmt: skip
SUPPORTED_EVENTS = frozenset({
    "timerEventDefinition", "signalEventDefinition", "terminateEventDefinition", "messageEventDefinition",
    "errorEventDefinition", "escalationEventDefinition", "conditionalEventDefinition",
    "cancelEventDefinition", "linkEventDefinition",
})  # fmt: skip


@dataclass
class Verdict:
    """What Casepath thinks of one diagram."""

    label: str
    problems: list[Problem] = field(default_factory=list)
    process_id: str = ""
    executable: bool = True
    decisions: dict[str, bytes] = field(default_factory=dict)  # the DMN files its business rules call

    @property
    def valid(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.valid:
            return f"{self.label}: valid (process {self.process_id})"
        lines = [f"{self.label}: {'not executable' if not self.executable else 'invalid'}"]
        lines.extend(f"  - {problem}" for problem in self.problems)
        return "\n".join(lines)


def check_document(
    data: bytes,
    forms: FormCatalog,
    label: str = "upload",
    min_cycle: str = RunLimits().min_cycle,
    decisions: dmn.DecisionCatalog | None = None,
    callees: Callees | None = None,
) -> tuple[Verdict, parsing.ParsedPathway | None]:
    """Full verdict on a BPMN document: safe parse, executability, lint, SpiffWorkflow's own parse.

    ``min_cycle`` is the shortest repeating timer allowed (``RunLimits.min_cycle``); ``decisions`` the
    DMN decisions business rule tasks may call (by default ``decisions/`` beside the forms folder);
    ``callees`` finds the pathways a call activity may call when the called process is not in the file
    (by default the pathway files beside the forms folder, :func:`pathway_files`; deploying passes the
    deployed versions, which the caller then pins).
    """
    verdict = Verdict(label)
    if callees is None:
        callees = pathway_files(forms.forms_dir.parent / "pathways")
    try:
        root = parse_xml(data, label)
    except PathwayInvalid as error:
        verdict.problems = error.problems
        verdict.executable = False
        return verdict, None
    if etree.QName(root).namespace != BPMN_NS or etree.QName(root).localname != "definitions":
        verdict.executable = False
        verdict.problems = [Problem(label, "not executable: the root element is not bpmn:definitions")]
        return verdict, None
    ids = parsing.process_ids(root)
    if not ids:
        verdict.executable = False
        verdict.problems = [
            Problem(_first_process_id(root) or label, 'not executable: no process has isExecutable="true"')
        ]
        return verdict, None
    verdict.process_id = ids[0]
    process = root.xpath("//bpmn:process[@id=$pid]", namespaces=NS, pid=ids[0])[0]  # no id in the path
    verdict.problems = lint_process(process, forms)
    catalog = decisions or dmn.beside(forms.forms_dir)
    trees = _decisions_called(process, catalog, verdict)
    for called in _local_callees(root, ids[0]):
        verdict.problems.extend(lint_process(called, forms))
        trees.extend(_decisions_called(called, catalog, verdict))
    outside, problems = _outside_callees(root, label, callees)
    for callee, _version in outside.values():  # a shared sub-pathway's business rules decide here too
        for called in callee.xpath("//bpmn:process", namespaces=NS):
            trees.extend(_decisions_called(called, catalog, verdict))
    verdict.problems.extend(problems)
    if len(ids) > 1:
        verdict.problems.append(
            Problem(
                ids[1],
                "one executable process per file: mark the others non-executable, or call them from the "
                "pathway with a call activity",
            )
        )
    if any(problem.message.startswith("not executable") for problem in verdict.problems):
        verdict.executable = False
        return verdict, None
    if problems:  # a callee that cannot be read: the library's parse would only repeat it
        return verdict, None
    try:
        parsed = parsing.parse_pathway(root, ids[0], trees, callees=outside)
        verdict.problems.extend(checks.check_scripts_of(parsed))
        verdict.problems.extend(checks.short_cycles_of(parsed, min_cycle))
    except PathwayInvalid as error:
        verdict.problems.extend(_plain(problem) for problem in error.problems)
        return verdict, None
    except (etree.LxmlError, RecursionError) as error:  # the library builds XPaths from ids
        message = f"the diagram could not be read ({error.__class__.__name__}); check its ids"
        verdict.problems.append(Problem(ids[0], message))
        return verdict, None
    return verdict, (parsed if verdict.valid else None)


# SpiffWorkflow's parser messages, in words a coordinator can act on.
_PLAIN = (
    ("Multiple outgoing flows", "more than one flow leaves this task: branch with a gateway after it"),
    ("Non-default exclusive", "a flow out of an exclusive gateway needs a condition, or must be its default"),
    ("No start event found", "the process has no start event"),
    ("Exactly one start event", "a sub-process needs exactly one start event, drawn inside it"),
    ("Unknown Time Specification", "the timer has no date, duration or cycle (for example P7D or R/P1M)"),
    ("When looking for a task spec", "a flow from here leads to an element that is missing or not unique"),
    ("Cannot resolve data", "a data association must connect to a data object of the same process"),
    ("Data Store", "data stores are not supported by Casepath: use a data object"),
    ("raise_validation_exception", "the event names a signal or message that the diagram does not define"),
    ("Cancel Events may only", "a cancel event belongs on the boundary of a transaction, or inside one"),
    ("RecursionError", "too many steps follow one another from here (several hundred): shorten the chain"),
)


def _decisions_called(
    process: etree._Element, catalog: dmn.DecisionCatalog, verdict: Verdict
) -> list[etree._Element]:
    """The DMN trees the business rule tasks call; calling none, a missing or an invalid one is a problem."""
    trees: list[etree._Element] = []
    for task in process.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        task_id = task.get("id") or "businessRuleTask"
        called = (
            task.findtext("bpmn:extensionElements/spiffworkflow:calledDecisionId", namespaces=NS) or ""
        ).strip()
        found = catalog.find(called) if called else None
        if not called:
            message = "the business rule task names no decision: add spiffworkflow:calledDecisionId"
            verdict.problems.append(Problem(task_id, message))
        elif found is None:
            verdict.problems.append(Problem(task_id, f"no decision '{called}' in workflows/decisions"))
        elif found[1] is None:
            message = (
                f"the decision '{called}' ({found[0].label}) is invalid: run casepath pathways check on it"
            )
            verdict.problems.append(Problem(task_id, message))
        elif called not in verdict.decisions:
            verdict.decisions[called] = found[2]
            trees.append(found[1])
    return trees


def _plain(problem: Problem) -> Problem:
    for start, plain in _PLAIN:
        if start in problem.message:
            return Problem(problem.element_id, plain)
    return problem


def _local_callees(root: etree._Element, entry: str) -> list[etree._Element]:
    """The processes of the file the pathway calls (directly or not), which run as part of it."""
    called = parsing.called_elements(root) - {entry}
    return [p for p in root.xpath("//bpmn:process", namespaces=NS) if p.get("id") in called]


def _outside_callees(
    root: etree._Element, label: str, callees: Callees | None
) -> tuple[dict[str, tuple[etree._Element, int]], list[Problem]]:
    """The deployed pathways the call activities call, read safely and given the callers' texts
    (engine/bpmn/call_texts.py); a callee found nowhere, or its texts missing, is a problem."""
    local = parsing.local_processes(root)
    found: dict[str, tuple[etree._Element, int]] = {}
    texts_by: dict[str, tuple[str, dict[str, str]]] = {}  # callee → (the first caller's id, its texts)
    problems = []
    for activity in root.xpath("//bpmn:callActivity", namespaces=NS):
        element_id, target = str(activity.get("id")), str(activity.get("calledElement") or "")
        if not target:
            problems.append(Problem(element_id, "the call activity names no called process (calledElement)"))
            continue
        if target in local:
            continue
        texts = call_texts.parse_texts(properties.raw_of_element(activity).get("texts", ""))
        first = texts_by.setdefault(target, (element_id, texts))
        if first[1] != texts:
            message = f"calls '{target}' with other texts than {first[0]}: one set of texts per callee"
            problems.append(Problem(element_id, message))
        if target in found:
            continue
        stored = callees(target) if callees is not None else None
        if stored is None:
            message = f"calls '{target}', which is neither a process in this file nor a deployed pathway"
            problems.append(Problem(element_id, message))
            continue
        try:
            callee = parse_xml(stored[0], target)
        except PathwayInvalid as error:
            problems.extend(Problem(element_id, f"calls '{target}': {p.message}") for p in error.problems)
            continue
        missing = sorted(call_texts.placeholders(callee) - set(texts))
        if missing:
            message = f"calls '{target}' without the texts it needs: add {', '.join(missing)} to its texts"
            problems.append(Problem(element_id, message))
            continue
        callee = call_texts.with_texts(callee, texts)
        for process in callee.xpath("//bpmn:process", namespaces=NS):  # the callee in the caller's words
            problems.extend(
                Problem(element_id, f"calls '{target}': {p.element_id}: {p.message}")
                for p in lint_lengths(process)
            )
        found[target] = (callee, stored[1])
    return found, problems


def _first_process_id(root: etree._Element) -> str:
    found = root.xpath("//bpmn:process/@id", namespaces=NS)
    return str(found[0]) if found else ""


def lint_process(process: etree._Element, forms: FormCatalog) -> list[Problem]:
    """Casepath's rules for one executable process (see docs/pathway-authoring.md)."""
    problems = lint_lengths(process)  # ids and names the database columns can hold
    lanes = lanes_of(process)
    ids = {str(value) for value in process.xpath(".//@id")}
    words = _Vocabulary(forms)
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        element_id = element.get("id") or qname.localname
        if qname.namespace == BPMN_NS and element.getparent() is not None:
            problems.extend(_supported(element, qname.localname, element_id))
            raw = properties.raw_of_element(element)
            for message in property_checks.problems_of(qname.localname, raw, lanes.get(element_id), words):
                problems.append(Problem(element_id, message))
            problems.extend(event_problems(element, qname.localname, element_id))
        if qname.localname == "boundaryEvent" and element.get("attachedToRef") not in ids:
            problems.append(Problem(element_id, "the boundary event is attached to no activity here"))
        if qname.localname in _CONTAINERS:
            problems.extend(_unmatched_links(element))
    return problems


_CONTAINERS = frozenset({"process", "subProcess", "transaction"})


def _unmatched_links(container: etree._Element) -> list[Problem]:
    _, unmatched = parsing.link_pairs(container)
    message = "the link event has no catching link event of the same name in the same process or sub-process"
    return [Problem(str(event.get("id")), message) for event in unmatched]


class _Vocabulary:
    """Roles and forms as the property checks need them."""

    def __init__(self, forms: FormCatalog) -> None:
        self.forms = forms

    def is_role(self, name: str) -> bool:
        return resolve_role(name) is not None

    def form_exists(self, key: str) -> bool:
        return self.forms.exists(key)


def _supported(element: etree._Element, kind: str, element_id: str) -> list[Problem]:
    parent = element.getparent()
    assert parent is not None
    parent_kind = etree.QName(parent).localname
    if parent_kind in _CONTAINERS and kind not in _KNOWN:
        return [Problem(element_id, f"not executable by Casepath: element type {kind} is not supported")]
    if kind.endswith("EventDefinition") and kind not in SUPPORTED_EVENTS:
        owner = parent.get("id") or element_id
        return [Problem(owner, f"not executable by Casepath: {kind} is not supported")]
    return []


# What a process or sub-process may hold besides flow elements; Casepath ignores them.
_CONTAINER_PARTS = frozenset({
    "extensionElements", "documentation", "ioSpecification", "property", "dataInputAssociation",
    "dataOutputAssociation", "incoming", "outgoing", "auditing", "monitoring", "categoryValueRef",
    "performer", "humanPerformer", "potentialOwner", "correlationSubscription", "supports",
})  # fmt: skip
_LOOPS = frozenset({"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"})
_KNOWN = SUPPORTED | _CONTAINER_PARTS | _LOOPS


def verdict_for_file(
    path: Path, forms: FormCatalog, min_cycle: str = RunLimits().min_cycle, callees: Callees | None = None
) -> Verdict:
    """Verdict on a file on disk; I/O errors are the caller's to report."""
    data = path.read_bytes()
    verdict, _ = check_document(data, forms, str(path), min_cycle, callees=callees)
    return verdict

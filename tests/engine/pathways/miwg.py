"""The MIWG conformance files as a coordinator would prepare them, and their expected verdicts.

``python -m tests.engine.pathways.miwg`` prints the verdict counts; ``--write`` regenerates
``miwg_expectations.json`` (run it after a construct is added to the lint, then review the diff: a file
should only move towards "valid"). The files stay in ``/work/shared/conformance/miwg`` (CC BY 3.0,
attribution in its LICENSE.txt); the suite reads them from there and is skipped where they are absent.

Preparing a file: every human task (``userTask``, ``manualTask``, ``task``) of an executable process
that lacks them gets the ``role`` and ``form`` properties, and every business rule task a decision, as
a coordinator adds them in the studio.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

from lxml import etree

from engine.bpmn.properties import HUMAN_TASKS
from engine.pathways.forms import FormCatalog
from engine.pathways.importer import BPMN_NS, NS, SPIFF_NS
from engine.pathways.lint import SUPPORTED, SUPPORTED_EVENTS, Verdict, check_document

REPO = Path(__file__).resolve().parents[3]
MIWG = next(
    (p / "shared" / "conformance" / "miwg" for p in REPO.parents if (p / "shared" / "conformance").is_dir()),
    REPO.parent / "shared" / "conformance" / "miwg",
)
EXPECTATIONS = Path(__file__).with_name("miwg_expectations.json")
FORMS = FormCatalog(REPO / "tests" / "fixtures" / "forms")
ROLE, FORM, DECISION = "social_worker", "note", "risk_score"  # tests/fixtures/{forms,decisions}
BPMN_FLOW_ELEMENTS = frozenset({
    *SUPPORTED, "sendTask", "receiveTask", "serviceTask", "callActivity", "adHocSubProcess", "transaction",
    "complexGateway", "implicitThrowEvent", "callChoreography", "choreographyTask", "subChoreography",
})  # fmt: skip
_LOOPS = frozenset({"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"})
_BLOCKED = re.compile(
    r"not executable(?: by Casepath: (?:element type )?(\w+)|: (service) task names no operation)"
)
# "event sub-processes are not supported"; "service task names no operation" (no Casepath operation)
_SPELLED = {"event": "eventSubProcess", "service": "serviceTask"}


def files() -> list[Path]:
    return sorted(MIWG.rglob("*.bpmn")) if MIWG.is_dir() else []


def label_of(path: Path) -> str:
    return path.relative_to(MIWG).as_posix()


def prepared(data: bytes) -> bytes:
    """The file with a role and a form on every human task of its executable processes, a decision on
    every business rule task (unparsable as is), and the roles that deliver a message on every element
    that waits for one. A service task keeps what its tool wrote: an
    implementation of that tool's, never one of Casepath's operations, so it blocks the file."""
    try:
        root = etree.fromstring(
            data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        )
    except etree.XMLSyntaxError:
        return data
    if root.find(".//{*}process") is None or b"<!DOCTYPE" in data.upper()[:4096]:
        return data
    for process in root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS):
        for task in process.iter(*(f"{{{BPMN_NS}}}{kind}" for kind in HUMAN_TASKS)):
            _give_role_and_form(task)
        for task in process.iter(f"{{{BPMN_NS}}}businessRuleTask"):
            _give_decision(task)
        for catch in process.iter(*(f"{{{BPMN_NS}}}{kind}" for kind in _CATCHERS)):
            if (
                kind_of_element(catch) == "receiveTask"
                or catch.find(f"{{{BPMN_NS}}}messageEventDefinition") is not None
            ):
                _give_properties(catch, (("delivered_by", ROLE),))  # who brings the message in
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


_CATCHERS = ("receiveTask", "intermediateCatchEvent", "boundaryEvent", "startEvent")


def kind_of_element(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _extensions(task: etree._Element) -> etree._Element:
    extensions = task.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is None:
        extensions = etree.Element(f"{{{BPMN_NS}}}extensionElements")
        task.insert(1 if len(task) and etree.QName(task[0]).localname == "documentation" else 0, extensions)
    return extensions


def _give_decision(task: etree._Element) -> None:
    extensions = _extensions(task)
    if extensions.find(f"{{{SPIFF_NS}}}calledDecisionId") is None:
        etree.SubElement(extensions, f"{{{SPIFF_NS}}}calledDecisionId").text = DECISION


def _give_role_and_form(task: etree._Element) -> None:
    _give_properties(task, (("role", ROLE), ("form", FORM)))


def _give_properties(task: etree._Element, wanted: tuple[tuple[str, str], ...]) -> None:
    """Casepath's properties a tool does not write (a role and a form; a service task's operation)."""
    extensions = _extensions(task)
    sheet = extensions.find(f"{{{SPIFF_NS}}}properties")
    if sheet is None:
        sheet = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
    present = {item.get("name") for item in sheet}
    for name, value in wanted:
        if name not in present:
            etree.SubElement(sheet, f"{{{SPIFF_NS}}}property", name=name, value=value)


def kind_of(verdict: Verdict) -> str:
    if verdict.valid:
        return "valid"
    return "not executable" if not verdict.executable else "invalid"


def blocked_by(verdict: Verdict) -> list[str]:
    """The element types or constructs the verdict refuses (empty when only other problems remain)."""
    found = {
        _SPELLED.get(k, k)
        for p in verdict.problems
        if (m := _BLOCKED.search(p.message))
        for k in [m[1] or m[2]]
    }
    return sorted(found)


def only_supported_elements(data: bytes) -> bool:
    """One executable process, and every flow element, event definition and marker in it is supported."""
    try:
        root = etree.fromstring(
            data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        )
    except etree.XMLSyntaxError:
        return False
    processes = root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS)
    if len(processes) != 1:
        return False
    for element in processes[0].iter(f"{{{BPMN_NS}}}*"):
        kind = etree.QName(element).localname
        if kind in BPMN_FLOW_ELEMENTS and kind not in SUPPORTED:
            return False
        if (kind.endswith("EventDefinition") and kind not in SUPPORTED_EVENTS) or kind in _LOOPS:
            return False
        if kind == "startEvent" and element.getparent() is processes[0] and _waits_for_an_event(element):
            return False  # a case starts at intake: such a start belongs in an event sub-process
        if kind == "serviceTask" and element.find(f".//{{{SPIFF_NS}}}property[@name='operation']") is None:
            return False  # a service task runs only with one of Casepath's operations
        if kind == "sequenceFlow" and _conditional_from_an_activity(element, processes[0]):
            return False  # a conditional flow out of a task: SpiffWorkflow branches only at gateways
    return True


def _waits_for_an_event(start: etree._Element) -> bool:
    kinds = {etree.QName(child).localname for child in start}
    return bool(kinds & _STARTED_BY_EVENTS)


_STARTED_BY_EVENTS = frozenset({
    "messageEventDefinition", "errorEventDefinition", "escalationEventDefinition",
    "conditionalEventDefinition",
})  # fmt: skip


def _conditional_from_an_activity(flow: etree._Element, process: etree._Element) -> bool:
    if flow.find(f"{{{BPMN_NS}}}conditionExpression") is None:
        return False
    source = process.xpath(".//*[@id=$ref]", ref=flow.get("sourceRef") or "")
    return bool(source) and not etree.QName(source[0]).localname.endswith("Gateway")


def verdicts() -> dict[str, dict[str, object]]:
    """Every file's expected entry: its verdict, what blocks it, whether only supported elements remain."""
    found: dict[str, dict[str, object]] = {}
    for path in files():
        data = prepared(path.read_bytes())
        verdict, _ = check_document(data, FORMS, label_of(path))
        found[label_of(path)] = {
            "verdict": kind_of(verdict),
            "blocked_by": blocked_by(verdict),
            "only_supported": only_supported_elements(data),
        }
    return found


def counts(entries: dict[str, dict[str, object]]) -> dict[str, int]:
    return dict(sorted(Counter(str(entry["verdict"]) for entry in entries.values()).items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {EXPECTATIONS.name}")
    args = parser.parse_args()
    if not files():
        print(f"no MIWG files under {MIWG}", file=sys.stderr)
        return 2
    entries = verdicts()
    print(json.dumps(counts(entries)))
    blocked = Counter(kind for entry in entries.values() for kind in entry["blocked_by"])  # type: ignore
    print(json.dumps(dict(blocked.most_common())))
    if args.write:
        EXPECTATIONS.write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

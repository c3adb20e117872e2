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
_BLOCKED = re.compile(r"not executable by Casepath: (?:element type )?(\w+)")
_SPELLED = {"event": "eventSubProcess"}  # "event sub-processes are not supported"


def files() -> list[Path]:
    return sorted(MIWG.rglob("*.bpmn")) if MIWG.is_dir() else []


def label_of(path: Path) -> str:
    return path.relative_to(MIWG).as_posix()


def prepared(data: bytes) -> bytes:
    """The file with a role and a form on every human task of its executable processes (unparsable as is)."""
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
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


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
    extensions = _extensions(task)
    sheet = extensions.find(f"{{{SPIFF_NS}}}properties")
    if sheet is None:
        sheet = etree.SubElement(extensions, f"{{{SPIFF_NS}}}properties")
    present = {item.get("name") for item in sheet}
    for name, value in (("role", ROLE), ("form", FORM)):
        if name not in present:
            etree.SubElement(sheet, f"{{{SPIFF_NS}}}property", name=name, value=value)


def kind_of(verdict: Verdict) -> str:
    if verdict.valid:
        return "valid"
    return "not executable" if not verdict.executable else "invalid"


def blocked_by(verdict: Verdict) -> list[str]:
    """The element types or constructs the verdict refuses (empty when only other problems remain)."""
    found = {_SPELLED.get(m[1], m[1]) for p in verdict.problems if (m := _BLOCKED.search(p.message))}
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
        if kind == "subProcess" and element.get("triggeredByEvent") == "true":
            return False
        if kind == "sequenceFlow" and _conditional_from_an_activity(element, processes[0]):
            return False  # a conditional flow out of a task: SpiffWorkflow branches only at gateways
    return True


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

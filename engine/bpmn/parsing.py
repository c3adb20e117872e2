"""Executable specs from a BPMN tree the importer has already parsed safely.

Before SpiffWorkflow sees a document, a copy of it is prepared (the original stays as uploaded):

* **called processes run**: a process that a call activity calls is parsed as executable whatever
  its ``isExecutable`` says (SpiffWorkflow refuses a callee marked ``false``; BPMN tools mark
  processes that are only called that way). The pathway is the executable process that no call
  activity in the file calls (:func:`process_ids`).
* **link events become sequence flows**: SpiffWorkflow ignores them, so a link throw event gets a flow
  to the link catch event of the same name in the same (sub-)process, and both become plain events.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from engine.bpmn.decisions import use_casepath_decisions
from engine.bpmn.event_subprocesses import event_subprocesses_of
from engine.bpmn.events import use_casepath_events
from engine.bpmn.properties import raw_of_element, service_properties
from engine.bpmn.timers import use_casepath_timers
from engine.errors import PathwayInvalid, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": BPMN_NS}


@dataclass(frozen=True)
class ParsedPathway:
    """Executable specs built from one BPMN document (and its DMN decisions).

    ``event_subprocesses`` maps each event sub-process id to whether it interrupts (the library does
    not keep it; :mod:`engine.bpmn.event_subprocesses` needs it). ``called`` names the pathways
    deployed on their own that this one calls, with the version its specs were taken from.
    """

    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    event_subprocesses: dict[str, bool] = field(default_factory=dict)
    called: dict[str, int] = field(default_factory=dict)


def called_elements(root: etree._Element) -> set[str]:
    """Ids of the processes the call activities of a document call."""
    return {str(value) for value in root.xpath("//bpmn:callActivity/@calledElement", namespaces=_NS)}


def process_ids(root: etree._Element) -> list[str]:
    """Ids of the executable processes no call activity of the document calls, in document order.

    A file holds one pathway: the executable process that nothing in it calls. Processes it calls
    may be marked either way; they run as part of the pathway.
    """
    called = called_elements(root)
    found = root.xpath("//bpmn:process[@isExecutable='true']/@id", namespaces=_NS)
    return [str(value) for value in found if str(value) not in called]


def local_processes(root: etree._Element) -> set[str]:
    return {str(value) for value in root.xpath("//bpmn:process/@id", namespaces=_NS)}


def prepared(root: etree._Element) -> etree._Element:
    """A copy of the document as SpiffWorkflow should read it (see the module doc)."""
    copied = copy.deepcopy(root)
    called = called_elements(copied)
    for process in copied.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") in called:
            process.set("isExecutable", "true")
    for container in copied.xpath("//bpmn:process | //bpmn:subProcess | //bpmn:transaction", namespaces=_NS):
        _links_to_flows(container)
    return copied


def link_pairs(container: etree._Element) -> tuple[list[tuple[Any, Any]], list[etree._Element]]:
    """Each link throw event of a (sub-)process with its catch event, and the throws with none."""
    catches: dict[str, etree._Element] = {}
    for event in container.xpath("./bpmn:intermediateCatchEvent[bpmn:linkEventDefinition]", namespaces=_NS):
        catches.setdefault(_link_name(event), event)
    pairs, unmatched = [], []
    for event in container.xpath("./bpmn:intermediateThrowEvent[bpmn:linkEventDefinition]", namespaces=_NS):
        target = catches.get(_link_name(event))
        if target is None:
            unmatched.append(event)
        else:
            pairs.append((event, target))
    return pairs, unmatched


def _link_name(event: etree._Element) -> str:
    definition = event.find(f"{{{BPMN_NS}}}linkEventDefinition")
    name = definition.get("name") if definition is not None else None
    return str(name or event.get("name") or "")


def _links_to_flows(container: etree._Element) -> None:
    pairs, _ = link_pairs(container)
    for throw, catch in pairs:
        flow = etree.SubElement(container, f"{{{BPMN_NS}}}sequenceFlow")
        flow.set("id", f"{throw.get('id')}__link")
        flow.set("sourceRef", str(throw.get("id")))
        flow.set("targetRef", str(catch.get("id")))
    for throw, catch in pairs:
        for event in (throw, catch):
            for definition in event.findall(f"{{{BPMN_NS}}}linkEventDefinition"):
                event.remove(definition)
        catch.tag = f"{{{BPMN_NS}}}intermediateThrowEvent"  # a plain event: it passes straight on


def parse_pathway(
    root: etree._Element,
    process_id: str | None = None,
    decisions: list[etree._Element] | None = None,
    callees: Mapping[str, tuple[etree._Element, int]] | None = None,
) -> ParsedPathway:
    """Build SpiffWorkflow specs from an already safely parsed tree; library errors become problems.

    ``callees`` are the pathways deployed on their own that this one calls: process id → (their
    document, the version it is). Their specs are built into this pathway's, so a case runs the
    callee as it was when its own pathway version was deployed.
    """
    ids = process_ids(root)
    if process_id is None:
        if not ids:
            raise PathwayInvalid("not executable: no process is marked executable")
        process_id = ids[0]
    parser = _CasepathParser()
    event_subprocesses = event_subprocesses_of(root)
    used = {key: value for key, value in (callees or {}).items() if key not in local_processes(root)}
    try:
        parser.add_bpmn_xml(prepared(root), filename=process_id)
        for key, (callee, _version) in used.items():
            parser.add_bpmn_xml(prepared(callee), filename=key)
            event_subprocesses.update(event_subprocesses_of(callee))
        for decision in decisions or []:
            parser.add_dmn_xml(decision)
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as error:
        element = getattr(error, "id", None) or process_id
        raise PathwayInvalid(str(error), [Problem(str(element), first_line(error))]) from error
    except (SpiffWorkflowException, KeyError, ValueError, TypeError, AttributeError, IndexError) as error:
        raise PathwayInvalid(str(error), [Problem(process_id, first_line(error))]) from error
    for item in [spec, *subprocess_specs.values()]:
        use_casepath_timers(item)
        use_casepath_decisions(item)
        use_casepath_events(item)
    called = {key: version for key, (_root, version) in used.items() if key in subprocess_specs}
    return ParsedPathway(process_id, spec, subprocess_specs, event_subprocesses, called)


class _OperationTaskParser(SpiffTaskParser):  # type: ignore[misc]
    """A service task names its operation in Casepath's ``operation`` property, not a serviceTaskOperator.

    The operation runs with no parameters from the diagram: what it needs is in its other properties
    and the case data (engine/bpmn/operations.py); its result lands in ``<element id>_result``.
    """

    def create_task(self) -> Any:
        extensions = self.parse_extensions()
        operation = service_properties(raw_of_element(self.node)).operation
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            operation_name=operation,
            operation_params={},
            result_variable=f"{self.bpmn_id}_result",
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )


class _CasepathParser(SpiffBpmnParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (_OperationTaskParser, ServiceTask),
    }


def first_line(error: BaseException) -> str:
    text = str(error).strip() or error.__class__.__name__
    return text.splitlines()[0][:300]

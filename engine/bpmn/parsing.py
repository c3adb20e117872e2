"""Executable specs from a BPMN tree the importer has already parsed safely."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask

from engine.bpmn.decisions import use_casepath_decisions
from engine.bpmn.events import use_casepath_events
from engine.bpmn.properties import raw_of_element, service_properties
from engine.bpmn.timers import use_casepath_timers
from engine.errors import PathwayInvalid, Problem


@dataclass(frozen=True)
class ParsedPathway:
    """Executable specs built from one BPMN document (and its DMN decisions)."""

    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]


def process_ids(root: etree._Element) -> list[str]:
    """Ids of the executable processes in a document, in document order."""
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    found = root.xpath("//bpmn:process[@isExecutable='true']/@id", namespaces=ns)
    return [str(value) for value in found]


def parse_pathway(
    root: etree._Element, process_id: str | None = None, decisions: list[etree._Element] | None = None
) -> ParsedPathway:
    """Build SpiffWorkflow specs from an already safely parsed tree; library errors become problems."""
    ids = process_ids(root)
    if process_id is None:
        if not ids:
            raise PathwayInvalid("not executable: no process is marked executable")
        process_id = ids[0]
    parser = _CasepathParser()
    try:
        parser.add_bpmn_xml(root, filename=process_id)
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
    return ParsedPathway(process_id, spec, subprocess_specs)


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

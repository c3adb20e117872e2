"""Executable specs from a BPMN tree the importer has already parsed safely."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.bpmn.events import use_casepath_events
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
    parser = SpiffBpmnParser()
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
        use_casepath_events(item)
    return ParsedPathway(process_id, spec, subprocess_specs)


def first_line(error: BaseException) -> str:
    text = str(error).strip() or error.__class__.__name__
    return text.splitlines()[0][:300]

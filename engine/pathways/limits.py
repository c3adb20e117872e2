"""How long a diagram's ids and names may be: as long as the columns that will hold them.

The sizes are read from the models (the one declaration of the schema), never copied: a diagram
whose element id or name does not fit would deploy and then fail on PostgreSQL at every intake,
claim and completion that stores it. The lint refuses it at upload instead, naming the element.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.errors import Problem
from engine.store.models import AuditEvent, Case, CaseTask, Deadline, Pathway, PathwayVersion


def column_length(*columns: Any) -> int:
    """The smallest ``String(n)`` among ``columns`` (model attributes such as ``CaseTask.name``)."""
    return min(int(column.expression.type.length) for column in columns)


# A process id is the pathway's key (and its name when the catalogue has none).
MAX_PROCESS_ID = column_length(Pathway.key, Pathway.name, PathwayVersion.process_id)
# Element ids name tasks, deadlines and the element a case stopped at.
MAX_ELEMENT_ID = column_length(CaseTask.element_id, Deadline.element_id, Case.incident_element)
# A task's or event's name is the task's title, a deadline's kind and the subject of their audit entries.
MAX_NAME = column_length(CaseTask.name, Deadline.kind, AuditEvent.subject)
MAX_LEGAL_SOURCE = column_length(CaseTask.legal_source, Deadline.legal_source)

_BPMN_SIGNAL = "{http://www.omg.org/spec/BPMN/20100524/MODEL}signal"
_SPIFF_PROPERTY = "{http://spiffworkflow.org/bpmn/schema/1.0/core}property"


def lint_lengths(process: etree._Element) -> list[Problem]:
    """A problem for each id, name or legal source in ``process`` that its column cannot hold."""
    problems = _too_long(process, "id", MAX_PROCESS_ID, "the process id")
    for element in process.iterdescendants():
        if not isinstance(element.tag, str):
            continue
        problems.extend(_too_long(element, "id", MAX_ELEMENT_ID, "the id"))
        problems.extend(_too_long(element, "name", MAX_NAME, "the name"))
        if element.tag == _SPIFF_PROPERTY and element.get("name") == "legal_source":
            owner = next((e for e in element.iterancestors() if e.get("id")), process)
            problems.extend(_too_long(element, "value", MAX_LEGAL_SOURCE, "the legal source", owner))
    for signal in process.getroottree().iter(_BPMN_SIGNAL):  # a signal's name is audited when it is sent
        problems.extend(_too_long(signal, "name", MAX_NAME, "the signal's name"))
    return problems


def _too_long(
    element: etree._Element, attribute: str, limit: int, what: str, owner: etree._Element | None = None
) -> list[Problem]:
    value = element.get(attribute) or ""
    if len(value) <= limit:
        return []
    return [
        Problem(
            _shown_id(owner if owner is not None else element), f"{what} is longer than {limit} characters"
        )
    ]


def _shown_id(element: etree._Element) -> str:
    element_id = str(element.get("id") or etree.QName(element).localname)
    return element_id if len(element_id) <= MAX_ELEMENT_ID else element_id[: MAX_ELEMENT_ID - 1] + "…"

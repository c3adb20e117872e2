"""What changed between two diagrams of a pathway, in the terms a coordinator and a manager read.

Each flow element of the executable process is summed up as fields: its type and name, its lane, its
Casepath properties (the role as it takes effect: the property, or the lane named after a role), its
timer, its flow's source, target and condition, and its scripts. Two diagrams are compared by element
id. :func:`canonical` tells whether two files say the same thing at all, comments and indentation
aside. :func:`approval_reasons` says which changes need a manager's second pair of eyes (four eyes):
a clock, a role, or a step taken away.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from lxml import etree

from engine.bpmn import properties
from engine.pathways.importer import BPMN_NS, NS, lanes_of, parse_xml

# The fields of an element whose change needs a manager's approval; and a step's removal.
CLOCK_FIELDS = frozenset({"timer", "due", "due_from", "legal_source"})
ROLE_FIELDS = frozenset({"role", "notify"})
_NOT_STEPS = frozenset({"sequenceFlow", "textAnnotation", "association", "dataObjectReference", "dataObject"})
_TIMERS = ("timeDuration", "timeCycle", "timeDate")
_SKIPPED = frozenset({"extensionElements", "incoming", "outgoing", "documentation", "laneSet"})


@dataclass
class Diff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[dict[str, object]] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)  # element id → its BPMN type, on either side

    def as_json(self) -> dict[str, object]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed}


def canonical(data: bytes) -> bytes:
    """The diagram's XML in canonical form: no comments, no indentation, attributes in order, and no
    ``incoming``/``outgoing`` references (derived from the flows; bpmn.io writes them, hand-written files
    often do not)."""
    root = parse_xml(data)
    for derived in root.xpath("//bpmn:incoming | //bpmn:outgoing", namespaces=NS):
        parent = derived.getparent()
        if parent is not None:
            parent.remove(derived)
    for element in root.iter():
        if element.text is not None and not element.text.strip():
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return bytes(etree.tostring(root, method="c14n", with_comments=False))


def summary(data: bytes) -> dict[str, dict[str, str]]:
    """Element id → its fields, for every flow element of the first executable process."""
    root = parse_xml(data)
    process = _executable_process(root)
    if process is None:
        return {}
    lanes = lanes_of(process)
    elements: dict[str, dict[str, str]] = {}
    for element in process.iter(f"{{{BPMN_NS}}}*"):
        kind = etree.QName(element).localname
        element_id = element.get("id")
        if not element_id or kind in _SKIPPED or element is process or kind in {"lane", "flowNodeRef"}:
            continue
        if _inside_definition(element):
            continue
        elements[element_id] = _fields(element, kind, lanes.get(element_id, ""))
    return elements


def compare(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> Diff:
    diff = Diff()
    diff.added = sorted(set(new) - set(old))
    diff.removed = sorted(set(old) - set(new))
    for element_id in sorted(set(old) & set(new)):
        before, after = old[element_id], new[element_id]
        changes = {
            name: [before.get(name, ""), after.get(name, "")]
            for name in sorted(set(before) | set(after))
            if before.get(name, "") != after.get(name, "")
        }
        if changes:
            diff.changed.append({"id": element_id, "changes": changes})
    diff.kinds = {key: value["type"] for side in (old, new) for key, value in side.items()}
    return diff


@dataclass(frozen=True)
class ApprovalReason:
    """One change that needs a manager's approval: a field of an element changed (``field``, ``old``,
    ``new``), or a step added or removed. Stored as JSON with the approval; the web says it in words."""

    element_id: str
    change: str  # changed | added | removed
    field: str = ""
    old: str = ""
    new: str = ""

    def line(self) -> str:
        """The change as one English line ("Timer_Monthly: timer R/P1M → R/P6W"), for the API and audit."""
        if self.change != "changed":
            return f"{self.element_id}: {self.change}"
        return f"{self.element_id}: {self.field} {self.old or '-'} → {self.new or '-'}"

    def as_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, str]) -> ApprovalReason:
        return cls(
            **{name: str(raw.get(name, "")) for name in ("element_id", "change", "field", "old", "new")}
        )


def approval_reasons(diff: Diff) -> list[ApprovalReason]:
    """The changes that need a manager's approval (empty: none needed)."""
    reasons = [
        ApprovalReason(str(item["id"]), "changed", name, values[0], values[1])
        for item in diff.changed
        for name, values in item["changes"].items()  # type: ignore[attr-defined]
        if name in CLOCK_FIELDS | ROLE_FIELDS
    ]
    reasons += [
        ApprovalReason(element_id, "removed") for element_id in diff.removed if _is_step(diff, element_id)
    ]
    for element_id in diff.added:  # a new timer or due date is a new clock
        if diff.kinds.get(element_id) in {"boundaryEvent", "intermediateCatchEvent"}:
            reasons.append(ApprovalReason(element_id, "added"))
    return reasons


def _is_step(diff: Diff, element_id: str) -> bool:
    return diff.kinds.get(element_id, "") not in _NOT_STEPS


def _executable_process(root: etree._Element) -> etree._Element | None:
    found = root.xpath("//bpmn:process[@isExecutable='true']", namespaces=NS)
    return found[0] if found else None


def _inside_definition(element: etree._Element) -> bool:
    """Event definitions and conditions are fields of their owner, not elements of their own."""
    return any(
        etree.QName(parent).localname.endswith("EventDefinition") for parent in element.iterancestors()
    )


def _fields(element: etree._Element, kind: str, lane: str) -> dict[str, str]:
    values = {"type": kind, "name": element.get("name") or ""}
    if lane:
        values["lane"] = lane
    raw = properties.raw_of_element(element)
    for prop in properties.PROPERTIES:
        if prop.carried_by(kind) and raw.get(prop.name):
            values[prop.name] = raw[prop.name]
    if kind in properties.HUMAN_TASKS and not values.get("role") and lane:
        values["role"] = lane  # the lane names the role when the task does not
    for extra, value in raw.items():
        if extra not in properties.BY_NAME and value:
            values[f"property {extra}"] = value
    timer = _timer(element)
    if timer:
        values["timer"] = timer
    if kind == "sequenceFlow":
        values["source"] = element.get("sourceRef") or ""
        values["target"] = element.get("targetRef") or ""
        condition = element.find(f"{{{BPMN_NS}}}conditionExpression")
        if condition is not None and (condition.text or "").strip():
            values["condition"] = (condition.text or "").strip()
    if element.get("attachedToRef"):
        values["attached_to"] = element.get("attachedToRef") or ""
    script = element.find(f"{{{BPMN_NS}}}script")
    if script is not None and (script.text or "").strip():
        values["script"] = (script.text or "").strip()
    return values


def _timer(element: etree._Element) -> str:
    for name in _TIMERS:
        found = element.find(f"{{{BPMN_NS}}}timerEventDefinition/{{{BPMN_NS}}}{name}")
        if found is not None and (found.text or "").strip():
            return (found.text or "").strip()
    return ""

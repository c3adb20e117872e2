"""Pathways: safe import of BPMN uploads, Casepath's lint rules, versions and deployment.

An upload is parsed here with a hardened lxml parser before SpiffWorkflow sees it: no DTD, no
entities, no network, a size and an element cap. Every file gets a verdict: valid, or a list of
problems naming element ids; "not executable: …" is a verdict too, never a traceback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from lxml import etree
from sqlalchemy import func, select

from engine import runtime
from engine.audit import Actor, record
from engine.clock import is_duration
from engine.config import RunLimits
from engine.errors import ExpressionError, NotFound, PathwayInvalid, Problem
from engine.expressions import check_expression
from engine.forms import FormCatalog
from engine.pathway_limits import lint_lengths
from engine.roles import resolve_role
from engine.store.models import Centre, Pathway, PathwayVersion
from engine.store.uow import UnitOfWork

MAX_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 50_000
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# Flow elements Casepath runs; anything else in an executable process is reported by id.
SUPPORTED = frozenset({
    "startEvent", "endEvent", "userTask", "scriptTask", "manualTask", "task", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "subProcess", "boundaryEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "sequenceFlow", "dataObject",
    "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "laneSet", "lane", "group",
})  # fmt: skip
# Task types that wait for a person: each needs a role and a form, whatever its BPMN type.
HUMAN_TASKS = frozenset({"userTask", "manualTask", "task"})
SUPPORTED_EVENTS = frozenset({"timerEventDefinition", "signalEventDefinition", "terminateEventDefinition"})


def _hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, label: str = "upload") -> etree._Element:
    """Parse untrusted XML: size cap, no DOCTYPE at all, no entities, no XInclude, an element cap."""
    if len(data) > MAX_BYTES:
        _refuse(label, "file too large", f"file is {len(data)} bytes; the limit is {MAX_BYTES}")
    upper = data.upper()
    if any(mark in upper[:4096] for mark in _DOCTYPE) or any(mark in upper for mark in _ENTITY):
        _refuse(label, "DOCTYPE", "DOCTYPE and entity declarations are not allowed")
    if not data.strip():
        _refuse(label, "empty", "the file is empty")
    try:
        root = etree.fromstring(data, _hardened_parser())
    except etree.XMLSyntaxError as error:
        reason = "elements nested more than 256 levels deep" if "Excessive depth" in error.msg else error.msg
        _refuse(label, "not XML", f"not well-formed XML: {reason}")
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        _refuse(label, "DOCTYPE", "DOCTYPE and entity declarations are not allowed")
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        _refuse(label, "too many elements", f"{count} elements; the limit is {MAX_ELEMENTS}")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        _refuse(label, "entity", "entity references are not allowed")
    if next(root.iter(*_XINCLUDE), None) is not None:
        _refuse(label, "XInclude", "XInclude elements are not allowed")
    try:
        data.decode("utf-8")  # deployed diagrams are stored as UTF-8 text
    except UnicodeDecodeError:
        _refuse(label, "encoding", "the file is not UTF-8: save it as UTF-8")
    return root


# Markers looked for in the raw bytes in every encoding libxml2 detects that ASCII bytes would miss.
_CODECS = ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
_DOCTYPE = tuple("<!DOCTYPE".encode(codec) for codec in _CODECS)
_ENTITY = tuple("<!ENTITY".encode(codec) for codec in _CODECS)
_XINCLUDE = ("{http://www.w3.org/2001/XInclude}*", "{http://www.w3.org/2003/XInclude}*")


def _refuse(label: str, title: str, message: str) -> NoReturn:
    raise PathwayInvalid(f"{label}: {title}", [Problem(label, message)])


@dataclass
class Verdict:
    """What Casepath thinks of one diagram."""

    label: str
    problems: list[Problem] = field(default_factory=list)
    process_id: str = ""
    executable: bool = True

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
    data: bytes, forms: FormCatalog, label: str = "upload", min_cycle: str = RunLimits().min_cycle
) -> tuple[Verdict, runtime.ParsedPathway | None]:
    """Full verdict on a BPMN document: safe parse, executability, lint, SpiffWorkflow's own parse.

    ``min_cycle`` is the shortest repeating timer allowed (``RunLimits.min_cycle``).
    """
    verdict = Verdict(label)
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
    ids = runtime.process_ids(root)
    if not ids:
        verdict.executable = False
        verdict.problems = [
            Problem(_first_process_id(root) or label, 'not executable: no process has isExecutable="true"')
        ]
        return verdict, None
    verdict.process_id = ids[0]
    process = root.xpath("//bpmn:process[@id=$pid]", namespaces=NS, pid=ids[0])[0]  # no id in the path
    verdict.problems = lint_process(process, forms)
    if len(ids) > 1:
        verdict.problems.append(
            Problem(ids[1], "one executable process per file: mark the others non-executable")
        )
    if any(problem.message.startswith("not executable") for problem in verdict.problems):
        verdict.executable = False
        return verdict, None
    try:
        parsed = runtime.parse_pathway(root, ids[0])
        verdict.problems.extend(runtime.check_scripts_of(parsed))
        verdict.problems.extend(runtime.short_cycles_of(parsed, min_cycle))
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
    ("RecursionError", "too many steps follow one another from here (several hundred): shorten the chain"),
)


def _plain(problem: Problem) -> Problem:
    for start, plain in _PLAIN:
        if start in problem.message:
            return Problem(problem.element_id, plain)
    return problem


def _first_process_id(root: etree._Element) -> str:
    found = root.xpath("//bpmn:process/@id", namespaces=NS)
    return str(found[0]) if found else ""


def lint_process(process: etree._Element, forms: FormCatalog) -> list[Problem]:
    """Casepath's rules for one executable process (see docs/pathway-authoring.md)."""
    problems = lint_lengths(process)  # ids and names the database columns can hold
    lanes = _lane_of_elements(process)
    ids = {str(value) for value in process.xpath(".//@id")}
    for element in process.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        element_id = element.get("id") or qname.localname
        if qname.namespace == BPMN_NS and element.getparent() is not None:
            problems.extend(_supported(element, qname.localname, element_id))
        if qname.namespace == BPMN_NS and qname.localname in HUMAN_TASKS:
            problems.extend(lint_user_task(element, element_id, lanes.get(element_id), forms))
        if qname.localname == "boundaryEvent" and element.get("attachedToRef") not in ids:
            problems.append(Problem(element_id, "the boundary event is attached to no activity here"))
        if qname.localname.endswith("Event"):  # a timer's `notify` names the roles told when it fires
            notify = task_properties(element).get("notify", "").split(",")
            unknown = [name.strip() for name in notify if name.strip() and resolve_role(name) is None]
            if unknown:
                problems.append(Problem(element_id, f"notify names no casework role: {', '.join(unknown)}"))
    return problems


def _supported(element: etree._Element, kind: str, element_id: str) -> list[Problem]:
    parent = element.getparent()
    assert parent is not None
    parent_kind = etree.QName(parent).localname
    if parent_kind in {"process", "subProcess"} and kind not in _KNOWN:
        return [Problem(element_id, f"not executable by Casepath: element type {kind} is not supported")]
    if (kind.endswith("EventDefinition") and kind not in SUPPORTED_EVENTS) or kind in _LOOPS:
        owner = parent.get("id") or element_id
        return [Problem(owner, f"not executable by Casepath: {kind} is not supported")]
    if kind == "subProcess" and element.get("triggeredByEvent") == "true":
        return [Problem(element_id, "not executable by Casepath: event sub-processes are not supported")]
    return []


# What a process or sub-process may hold besides flow elements; Casepath ignores them.
_CONTAINER_PARTS = frozenset({
    "extensionElements", "documentation", "ioSpecification", "property", "dataInputAssociation",
    "dataOutputAssociation", "incoming", "outgoing", "auditing", "monitoring", "categoryValueRef",
    "performer", "humanPerformer", "potentialOwner", "correlationSubscription", "supports",
})  # fmt: skip
_LOOPS = frozenset({"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"})
_KNOWN = SUPPORTED | _CONTAINER_PARTS | _LOOPS  # loops are reported as loops, not as element types


def _lane_of_elements(process: etree._Element) -> dict[str, str]:
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or ""
    return lanes


def task_properties(element: etree._Element) -> dict[str, str]:
    props = element.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", namespaces=NS
    )
    return {str(p.get("name")): str(p.get("value") or "") for p in props}


def lint_user_task(
    element: etree._Element, element_id: str, lane: str | None, forms: FormCatalog
) -> list[Problem]:
    props = task_properties(element)
    problems: list[Problem] = []
    named = props.get("role") or lane or ""
    if resolve_role(named) is None:
        which = f"'{named}' is not a casework role" if named.strip() else "names no role"
        hint = "a role property or a lane named after a role"
        problems.append(Problem(element_id, f"not executable: user task {which} ({hint})"))
    form = props.get("form", "")
    if not form:
        problems.append(Problem(element_id, "not executable: user task names no form (property 'form')"))
    elif not forms.exists(form):
        problems.append(Problem(element_id, f"form '{form}' does not exist in workflows/forms/"))
    due = props.get("due", "")
    if due and not is_duration(due):
        try:
            check_expression(due)
        except ExpressionError as error:
            message = f"due '{due}' is neither an ISO 8601 duration nor a valid expression: {error.message}"
            problems.append(Problem(element_id, message))
    return problems


def verdict_for_file(path: Path, forms: FormCatalog, min_cycle: str = RunLimits().min_cycle) -> Verdict:
    """Verdict on a file on disk; I/O errors are the caller's to report."""
    data = path.read_bytes()
    verdict, _ = check_document(data, forms, str(path), min_cycle)
    return verdict


# --- versions and deployment -----------------------------------------------------------------------


@dataclass(frozen=True)
class PathwayInfo:
    key: str
    name: str
    centre_kind: str
    target: str
    version: int
    version_id: int


# The shipped pathways: the name, the kind of centre that runs it (its intake), the people it is for.
CATALOGUE = {
    "crisis_centre_adult": ("Кризисен център – пълнолетни", "crisis_centre", "adult"),
    "crisis_centre_child": ("Кризисен център – деца", "crisis_centre", "child"),
    "community_support": ("Център за обществена подкрепа – дете и семейство", "community_support", "any"),
}


def centre_kind_of(uow: UnitOfWork, key: str) -> str:
    """The kind of centre whose intake runs this pathway (see ``cases.choose_pathway``); "" for none."""
    stored = uow.session.scalar(select(Pathway.centre_kind).where(Pathway.key == key))
    return stored if stored is not None else CATALOGUE.get(key, ("", "", ""))[1]


def centres_using(uow: UnitOfWork, key: str) -> list[int]:
    """The centres that use a pathway: every centre of the kind it is written for."""
    kind = centre_kind_of(uow, key)
    if not kind:
        return []
    return list(uow.session.scalars(select(Centre.id).where(Centre.kind == kind).order_by(Centre.id)))


def deploy(
    uow: UnitOfWork,
    data: bytes,
    forms: FormCatalog,
    actor: Actor,
    label: str = "upload",
    authorise: Callable[[str], None] | None = None,
) -> PathwayVersion:
    """Check and store a new version of a pathway; an identical diagram is not stored twice.

    ``authorise`` is called with the pathway's key once the diagram is read, before anything is
    stored (``pathway_catalogue.upload_pathway`` checks there who may deploy it).
    """
    verdict, parsed = check_document(data, forms, label, uow.limits.min_cycle)
    if parsed is None:
        raise PathwayInvalid(f"{label} cannot be deployed", verdict.problems)
    if authorise is not None:
        authorise(parsed.process_id)
    session = uow.session
    sha = hashlib.sha256(data).hexdigest()
    pathway = session.scalar(select(Pathway).where(Pathway.key == parsed.process_id))
    if pathway is None:
        name, kind, target = CATALOGUE.get(parsed.process_id, (parsed.process_id, "", "any"))
        pathway = Pathway(key=parsed.process_id, name=name, centre_kind=kind, target=target)
        session.add(pathway)
        session.flush()
    latest = latest_version(uow, pathway.key, required=False)
    if latest is not None and latest.sha256 == sha:
        return latest
    number = (
        session.scalar(
            select(func.max(PathwayVersion.version)).where(PathwayVersion.pathway_id == pathway.id)
        )
        or 0
    ) + 1
    version = PathwayVersion(
        pathway=pathway,
        version=number,
        process_id=parsed.process_id,
        bpmn_xml=data.decode("utf-8"),
        sha256=sha,
        spec_json=runtime.dump_spec(parsed),
        deployed_by_id=actor.user_id,
        deployed_at=uow.clock.now(),
    )
    session.add(version)
    session.flush()
    record(
        session,
        uow.clock.now(),
        actor,
        "pathway.deploy",
        subject=f"{pathway.key} v{number}",
        detail={"sha256": sha},
    )
    return version


def latest_version(uow: UnitOfWork, key: str, required: bool = True) -> PathwayVersion | None:
    version = uow.session.scalar(
        select(PathwayVersion)
        .join(Pathway)
        .where(Pathway.key == key)
        .order_by(PathwayVersion.version.desc())
        .limit(1)
    )
    if version is None and required:
        raise NotFound(f"pathway '{key}' has no deployed version")
    return version


def list_pathways(uow: UnitOfWork) -> list[PathwayInfo]:
    newest = (
        select(PathwayVersion.pathway_id, func.max(PathwayVersion.version).label("v"))
        .group_by(PathwayVersion.pathway_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(Pathway, PathwayVersion)
        .join(newest, newest.c.pathway_id == Pathway.id)
        .join(
            PathwayVersion, (PathwayVersion.pathway_id == Pathway.id) & (PathwayVersion.version == newest.c.v)
        )
        .order_by(Pathway.key)
    ).all()
    return [PathwayInfo(p.key, p.name, p.centre_kind, p.target, v.version, v.id) for p, v in rows]


def shipped_files(workflows_dir: Path) -> list[Path]:
    return sorted((workflows_dir / "pathways").glob("*/*.bpmn"))


def deploy_shipped(
    uow: UnitOfWork, workflows_dir: Path, forms: FormCatalog, actor: Actor
) -> list[PathwayVersion]:
    """Deploy every shipped diagram whose content is not yet the latest version."""
    return [deploy(uow, path.read_bytes(), forms, actor, path.name) for path in shipped_files(workflows_dir)]


def parsed_version(version: PathwayVersion) -> runtime.ParsedPathway:
    return runtime.load_spec(version.spec_json)

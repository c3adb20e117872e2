"""Task and event names in English: the ``name_en`` the diagram gives each element, per pathway version.

``case_task.name`` keeps the element's (Bulgarian) name; the English interface shows ``name_en`` where
the diagram has one. A version never changes once deployed, so its names are read once per process,
keyed by the version's id and checksum (a rolled-back test database may reuse an id): the deploying
process learns them at deployment, any other when it first shows a task of that version. Readers that
already join ``pathway_version`` pass its checksum and cost no query once the names are known.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree
from sqlalchemy import select

from engine.bpmn.names import english_names
from engine.bpmn.parsing import ParsedPathway
from engine.bpmn.properties import BPMN_NS, SPIFF_NS
from engine.bpmn.state import load_spec
from engine.pathways.importer import parse_xml
from engine.people.roles import resolve_role, role_label
from engine.store.models import PathwayVersion
from engine.store.uow import UnitOfWork

Key = tuple[int, str]  # a version's id and sha256
_CACHE: dict[Key, dict[str, str]] = {}
_CACHE_LIMIT = 512


def remember(version_id: int, sha256: str, parsed: ParsedPathway) -> None:
    """Keep a version's English names, as it is deployed."""
    _keep((version_id, sha256), english_names(parsed))


def _keep(key: Key, names: dict[str, str]) -> None:
    if len(_CACHE) >= _CACHE_LIMIT:
        _CACHE.clear()
    _CACHE[key] = names


def english_names_of(uow: UnitOfWork, versions: Iterable[Key]) -> dict[int, dict[str, str]]:
    """Each version id → its elements' English names (element id → ``name_en``)."""
    wanted = set(versions)
    missing = [version_id for version_id, sha256 in wanted if (version_id, sha256) not in _CACHE]
    if missing:
        rows = uow.session.execute(
            select(PathwayVersion.id, PathwayVersion.sha256, PathwayVersion.spec_json).where(
                PathwayVersion.id.in_(missing)
            )
        )
        for version_id, sha256, spec_json in rows:
            _keep((version_id, sha256), english_names(load_spec(spec_json)))
    return {version_id: _CACHE.get((version_id, sha256), {}) for version_id, sha256 in wanted}


def english_names_of_version(uow: UnitOfWork, version_id: int) -> dict[str, str]:
    """One version's English names (its checksum read first: one small query)."""
    sha256 = uow.session.scalar(select(PathwayVersion.sha256).where(PathwayVersion.id == version_id))
    return english_names_of(uow, [(version_id, sha256 or "")]).get(version_id, {})


def english_diagram(bpmn_xml: str) -> str:
    """The diagram as an English reader sees it: each element that has a ``name_en`` named by it, and
    each lane that names a role labelled with the role's English label. The stored diagram (already
    checked when it was deployed) is parsed with the importer's hardened parser; nothing else changes.
    """
    root = parse_xml(bpmn_xml.encode("utf-8"), "diagram")
    for element in root.iter(f"{{{BPMN_NS}}}*"):
        if element.get("name") is None:
            continue
        name_en = english_name_of(element)
        if name_en:
            element.set("name", name_en)
        elif etree.QName(element).localname == "lane":
            code = resolve_role(element.get("name", ""))
            if code is not None:
                element.set("name", role_label(code))
    return str(etree.tostring(root, encoding="unicode"))


def english_name_of(element: etree._Element) -> str:
    for prop in element.iterfind(
        f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"
    ):
        if prop.get("name") == "name_en":
            return str(prop.get("value") or "").strip()
    return ""

"""Safe import of BPMN uploads: the hardened XML parse every diagram goes through first.

Coordinators upload diagrams through a browser, so the XML is untrusted: no DTD, no entities, no
network, no XInclude, a size and an element cap. SpiffWorkflow only ever sees a tree parsed here.
"""

from __future__ import annotations

from typing import NoReturn

from lxml import etree

from engine.errors import PathwayInvalid, Problem

MAX_BYTES = 5 * 1024 * 1024
MAX_ELEMENTS = 50_000
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}


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
        # Where the parse stopped, not libxml2's English words: the reader's language says the rest.
        line, column = error.position
        reason = "elements nested more than 256 levels deep" if "Excessive depth" in error.msg else ""
        _refuse(label, "not XML", f"not well-formed XML: {reason or f'line {line}, column {column}'}")
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


def lanes_of(process: etree._Element) -> dict[str, str]:
    """Each element id of the process → the name of the lane it is drawn in (lanes are named after roles)."""
    lanes: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or ""
    return lanes

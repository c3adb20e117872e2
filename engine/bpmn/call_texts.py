"""The texts a call activity gives the pathway it calls: one shared sub-pathway, each caller's words.

A shared sub-pathway (``monthly_review``) is called by pathways that differ only in words: the authority
the review reports to (ДСП or ОЗД), the legal source a centre cites. Its element names, ``name_en``,
``legal_source`` and ``legal_source_en`` may hold placeholders, ``{authority}``; the call activity's
``texts`` property gives their values, a JSON object (``{"authority": "ДСП"}``).

The texts are put in when the caller is checked and deployed, into the copy of the callee its version
pins, not when a case runs: every page, the English interface, the scenarios and the ``deadline`` table
then read the caller's words exactly as if the caller had drawn the elements itself. Texts only: a
placeholder never reaches a timer, a due date, a role or a form, which are the callee's own.
"""

from __future__ import annotations

import copy
import json
import re

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
# The properties whose values may hold placeholders: the texts people read, nothing that is run.
TEXT_PROPERTIES = frozenset({"name_en", "legal_source", "legal_source_en"})
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_TEXT = 300


def texts_problem(value: str) -> str:
    """Why a ``texts`` property is not usable ("" when it is): a JSON object of short texts by name."""
    if not value.strip():
        return ""
    try:
        found = json.loads(value)
    except (ValueError, RecursionError):
        return 'texts must be a JSON object of texts by name, for example {"authority": "ДСП"}'
    if not isinstance(found, dict):
        return 'texts must be a JSON object of texts by name, for example {"authority": "ДСП"}'
    for key, text in found.items():
        if not _KEY.fullmatch(key):
            return f"texts: '{key[:40]}' is not a text name (lower-case letters, digits and _)"
        if not isinstance(text, str) or len(text) > MAX_TEXT:
            return f"texts: '{key}' must be a text of at most {MAX_TEXT} characters"
    return ""


def parse_texts(value: str) -> dict[str, str]:
    """The texts of a ``texts`` property; an unusable one gives none (the lint reports it)."""
    if texts_problem(value) or not value.strip():
        return {}
    return {str(key): str(text) for key, text in json.loads(value).items()}


def _text_slots(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """Every (element, attribute) whose text may hold placeholders: names and the text properties."""
    slots: list[tuple[etree._Element, str]] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace == BPMN_NS and element.get("name") is not None:
            slots.append((element, "name"))
        elif (
            qname.namespace == SPIFF_NS
            and qname.localname == "property"
            and element.get("name") in TEXT_PROPERTIES
            and element.get("value") is not None
        ):
            slots.append((element, "value"))
    return slots


def placeholders(root: etree._Element) -> set[str]:
    """The names of the placeholders the callee's texts use."""
    slots = _text_slots(root)
    return {name for element, attr in slots for name in PLACEHOLDER.findall(element.get(attr, ""))}


def with_texts(root: etree._Element, texts: dict[str, str]) -> etree._Element:
    """A copy of the callee with each placeholder it has a text for replaced (others stay as written)."""
    copied = copy.deepcopy(root)
    for element, attr in _text_slots(copied):
        written = element.get(attr, "")
        element.set(attr, PLACEHOLDER.sub(lambda match: texts.get(match.group(1), match.group(0)), written))
    return copied

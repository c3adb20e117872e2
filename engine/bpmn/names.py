"""The English texts of a pathway's elements, for the English interface: each element's name
(``name_en``) and the legal source of its deadline (``legal_source_en``).

An element's name and ``legal_source`` in the diagram are the Bulgarian ones. Both English texts are
kept in one mapping per version: the name under the element's id, the legal source under
:func:`legal_key` of it (ids are XML names and never hold ``#``), so every reader that already gets a
version's English names gets its legal sources too.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.bpmn.parsing import ParsedPathway
from engine.bpmn.properties import raw_of_spec


def legal_key(element_id: str) -> str:
    return f"{element_id}#legal_source"


def legal_source_en(names: Mapping[str, str] | None, element_id: str) -> str:
    """An element's legal source in English, if its diagram gives one ("" otherwise)."""
    return (names or {}).get(legal_key(element_id), "")


def english_names(parsed: ParsedPathway) -> dict[str, str]:
    """Each element id that has a ``name_en`` → that name, and :func:`legal_key` of each id that has a
    ``legal_source_en`` → that text, over the process and its sub-processes."""
    found: dict[str, str] = {}
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            element_id = getattr(task_spec, "bpmn_id", None)
            if not element_id:
                continue
            raw = raw_of_spec(task_spec)
            name_en = raw.get("name_en", "").strip()
            if name_en:
                found.setdefault(str(element_id), name_en)
            legal_en = raw.get("legal_source_en", "").strip()
            if legal_en:
                found.setdefault(legal_key(str(element_id)), legal_en)
    return found

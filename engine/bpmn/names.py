"""The English names of a pathway's elements (``name_en``), for the English interface.

An element's name in the diagram is the Bulgarian one; the ``name_en`` property is the English one.
"""

from __future__ import annotations

from engine.bpmn.parsing import ParsedPathway
from engine.bpmn.properties import raw_of_spec


def english_names(parsed: ParsedPathway) -> dict[str, str]:
    """Each element id that has a ``name_en`` → that name, over the process and its sub-processes."""
    found: dict[str, str] = {}
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        for task_spec in spec.task_specs.values():
            element_id = getattr(task_spec, "bpmn_id", None)
            name_en = raw_of_spec(task_spec).get("name_en", "").strip()
            if element_id and name_en:
                found.setdefault(str(element_id), name_en)
    return found

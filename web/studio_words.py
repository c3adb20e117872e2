"""A change that waits for a manager's approval, in the reader's language.

The engine stores each reason as one English line (``engine/pathways/diff.py``: "Task_X: due P7D →
P9D", "Task_X: removed"); the approval page shows it with the property's label and the durations in
words, so the manager reads "Task_X: Срок: 7 дни → 9 дни".
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.bpmn.properties import BY_NAME
from engine.clock import is_duration
from web.i18n import counted, duration_words

_CHANGED = re.compile(r"^(?P<element>\S+): (?P<field>\w+) (?P<old>.*) → (?P<new>.*)$")
_ADDED_OR_REMOVED = re.compile(r"^(?P<element>\S+): (?P<what>added|removed)$")
_FIELDS = {"timer": _l("Timer")}
_WHAT = {"added": _l("added"), "removed": _l("removed")}


def approval_reason(line: str) -> str:
    if match := _ADDED_OR_REMOVED.match(line):
        return f"{match['element']}: {_WHAT[match['what']]}"
    match = _CHANGED.match(line)
    if match is None:
        return line
    name = match["field"]
    label = _(BY_NAME[name].label) if name in BY_NAME else str(_FIELDS.get(name, name))
    return f"{match['element']}: {label}: {_value(match['old'])} → {_value(match['new'])}"


def _value(text: str) -> str:
    if text == "-":
        return "—"
    if text.upper().startswith("R") and "/" in text:
        return counted(text, "") or text
    return (duration_words(text) or text) if is_duration(text) else text

"""A change that waits for a manager's approval, in the reader's language.

The engine stores each reason as a structured change (``engine/pathways/diff.py``: element, field, old
and new value; or a step added or removed); the approval page shows it with the property's label and
the durations in words, so the manager reads "Task_X: Срок: 7 дни → 9 дни".
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.bpmn.properties import BY_NAME
from engine.clock import is_duration
from engine.pathways.diff import ApprovalReason
from web.i18n import counted, duration_words

_FIELDS = {"timer": _l("Timer")}
_WHAT = {"added": _l("added"), "removed": _l("removed")}


def approval_reason(reason: ApprovalReason) -> str:
    if reason.change != "changed":
        return f"{reason.element_id}: {_WHAT.get(reason.change, reason.change)}"
    name = reason.field
    label = _(BY_NAME[name].label) if name in BY_NAME else str(_FIELDS.get(name, name))
    return f"{reason.element_id}: {label}: {_value(reason.old or '-')} → {_value(reason.new or '-')}"


def _value(text: str) -> str:
    if text == "-":
        return "—"
    if text.upper().startswith("R") and "/" in text:
        return counted(text, "") or text
    return (duration_words(text) or text) if is_duration(text) else text

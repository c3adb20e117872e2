"""What a case migration says, in the reader's language: each change's message id with its parameters,
an element named in the reader's language where the diagram gives an English name."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from engine.casework.migration.batch import CaseOutcome
from engine.casework.migration.texts import CHANGES, TIMELINE_TIMER
from web.i18n import locale


def _params(params: dict[str, Any]) -> dict[str, Any]:
    english = locale() == "en"
    shown = {key: value for key, value in params.items() if not key.endswith("_en")}
    for key, value in params.items():
        if key.endswith("_en") and value and english:
            shown[key[:-3]] = value
    return shown


def change_text(item: dict[str, Any]) -> str:
    template = CHANGES.get(str(item.get("code", "")))
    if template is None:
        return ""
    return str(gettext(template, **_params(dict(item.get("params", {})))))


def named(item: dict[str, str]) -> str:
    """A step's name in the reader's language."""
    return str(_params(item).get("name", ""))


def outcome_json(outcome: CaseOutcome) -> dict[str, Any]:
    return {
        "number": outcome.number,
        "verdict": outcome.verdict,
        "position": [named(item) for item in outcome.position],
        "changes": [
            {"code": item["code"], "params": item.get("params", {}), "message": change_text(item)}
            for item in outcome.changes
        ],
    }


def timeline_line(line: str, params: dict[str, Any] | None) -> str:
    """A migrated or reverted case's timeline line: "Pathway updated to version 3: Monthly review: next
    on 12.01.2027"."""
    params = params or {}
    text = gettext(line, version=params.get("version", ""))
    moved = [
        gettext(TIMELINE_TIMER, **_params({k: v for k, v in item.items()}))
        for item in params.get("moved", [])
        if isinstance(item, dict)
    ]
    return f"{text}: {'; '.join(moved)}" if moved else text

"""What a document says: the case, the centre's letterhead and the source form's answers, as the
Bulgarian text the templates print.

The letterhead carries the centre's name, correspondence address, phone and e-mail: never
``Centre.address``, the confidential address. As a second guard, every text that goes into a document
(form answers are free text a worker typed) is searched for the confidential address, and any
occurrence is replaced by :data:`WITHHELD` before rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.clock import local_date
from engine.pathways.forms import Form
from engine.people.roles import role_name_bg

WITHHELD = "[адресът е поверителен]"
NBSP = "\u00a0"
LEGAL_BASES_BG = {
    "referral": "направление от Дирекция „Социално подпомагане“",
    "order": "заповед за настаняване на дете",
    "police": "полицейска закрила на дете",
    "court": "съдебно решение",
    "urgent": "спешно настаняване без направление",
    "trafficking_referral": "насочване на жертва на трафик",
    "walk_in": "свободен достъп",
    "municipality_referral": "насочване от общината",
    "self_request": "собствено искане на детето",
    "handover": "предаване от друга услуга",
}
RECIPIENTS_BG = {
    "dsp": ("Дирекция „Социално подпомагане“",),
    "dsp_lead": ("Водещ социален работник", "Дирекция „Социално подпомагане“"),
    "ozd": ("Отдел „Закрила на детето“", "Дирекция „Социално подпомагане“"),
}


@dataclass(frozen=True)
class Letterhead:
    name: str
    correspondence_address: str
    phone: str
    email: str


@dataclass(frozen=True)
class Author:
    name: str
    role: str  # in Bulgarian


@dataclass
class Content:
    """Everything a template prints, already in Bulgarian and scrubbed of the confidential address."""

    title: str
    number: str
    issued_on: str
    centre: Letterhead
    recipient: list[str]
    case: dict[str, str]
    author: Author
    answers: dict[str, str]  # the source form's fields, as printed
    labels: dict[str, str]  # the source form's field titles
    completed_on: str
    goals: list[dict[str, str]] = field(default_factory=list)  # the support plan's, for a progress note
    withheld: int = 0  # how many times the confidential address was found and withheld


def bg_date(value: date | datetime | str | None) -> str:
    """``03.12.2026 г.`` (the year's sign kept on the line with a no-break space); "" for nothing."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            return bg_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    day = local_date(value) if isinstance(value, datetime) else value
    return f"{day:%d.%m.%Y}{NBSP}г."


def shown(spec: dict[str, Any], value: Any) -> str:
    """A form answer as the document prints it: a choice by its Bulgarian title, yes/no, dates."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return "да" if value else "не"
    choices = {str(option.get("const")): str(option.get("title", "")) for option in spec.get("oneOf", [])}
    if isinstance(value, list):
        return ", ".join(shown(spec.get("items", {}), item) for item in value if not isinstance(item, dict))
    if str(value) in choices:
        return choices[str(value)]
    if spec.get("format") == "date":
        return bg_date(str(value))
    return str(value)


def answers_of(form: Form | None, data: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The source form's answers and field titles, in the form's order."""
    properties: dict[str, Any] = form.schema.get("properties", {}) if form is not None else {}
    answers = {name: shown(properties.get(name, {}), data.get(name)) for name in properties}
    answers.update({name: shown({}, value) for name, value in data.items() if name not in answers})
    labels = {name: form.field_title(name) if form is not None else name for name in answers}
    return answers, labels


def goals_of(data: dict[str, Any] | None) -> list[dict[str, str]]:
    goals = (data or {}).get("goals") or []
    return [
        {
            "goal": str(goal.get("goal") or ""),
            "activities": str(goal.get("activities") or ""),
            "responsible": str(goal.get("responsible") or ""),
            "until": bg_date(goal.get("until")),
        }
        for goal in goals
        if isinstance(goal, dict)
    ]


def recipient_lines(code: str, lead_name: str, extra: list[str]) -> list[str]:
    lines = list(RECIPIENTS_BG.get(code, RECIPIENTS_BG["dsp"]))
    if code == "dsp_lead" and lead_name:
        lines.insert(0, lead_name)
    return lines + [line for line in extra if line and line not in lines]


def author_of(name: str, role: str | None) -> Author:
    return Author(name, role_name_bg(role) if role else "")


def confidential_patterns(address: str) -> list[re.Pattern[str]]:
    """The confidential address, and its first part (the street) when that is long enough to mean it,
    matched without regard to case or spacing."""
    address = " ".join(address.split())
    parts = [address]
    street = address.split(",")[0].strip()
    if street != address and len(street) >= 8:
        parts.append(street)
    return [re.compile(r"\s+".join(map(re.escape, part.split())), re.IGNORECASE) for part in parts if part]


def scrub(value: Any, patterns: list[re.Pattern[str]], found: list[int]) -> Any:
    """``value`` with every occurrence of the confidential address withheld (strings in lists, dicts
    and dataclasses of the content); ``found`` counts them."""
    if isinstance(value, str):
        for pattern in patterns:
            value, count = pattern.subn(WITHHELD, value)
            found[0] += count
        return value
    if isinstance(value, list):
        return [scrub(item, patterns, found) for item in value]
    if isinstance(value, dict):
        return {key: scrub(item, patterns, found) for key, item in value.items()}
    if isinstance(value, Letterhead | Author):
        return type(value)(*(scrub(getattr(value, name), patterns, found) for name in value.__annotations__))
    return value


def scrubbed(content: Content, confidential_address: str) -> Content:
    patterns = confidential_patterns(confidential_address)
    if not patterns:
        return content
    found = [0]
    for name in ("title", "number", "issued_on", "recipient", "case", "author", "answers", "goals", "centre"):
        setattr(content, name, scrub(getattr(content, name), patterns, found))
    content.withheld = found[0]
    return content

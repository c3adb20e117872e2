"""Pathway scenarios: a case's timeline and the law's expectations of it, checked by simulation.

A scenario is a JSON file beside its pathway (``workflows/pathways/<id>/scenarios/*.json``)::

    {"name": "urgent adult admission on 31 Aug 2026",
     "start": "2026-08-31T10:00:00+03:00",
     "data": {"legal_basis": "urgent", "has_referral": false},
     "timeline": [{"after": "P6D", "complete": "Task_CrisisIntervention"},
                  {"at": "2026-09-10", "signal": "risk_changed"}],
     "hold": ["Task_NeedsAssessment"],
     "until": "2027-04-01",
     "expect": [{"task": "Task_NeedsAssessment", "due": "2026-09-20"},
                {"timer": "Timer_Cap", "fired": "2027-02-28"},
                {"incident": false}]}

Between the timeline's events, people complete every other open task on its due date (tasks in
``hold``, or that a later event completes, wait for it). After the last event the case runs on to
its end or to ``until``. A date in an expectation is a date in Sofia; a value with a time must match
the instant exactly. The same files are what the studio runs before a deploy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from engine.bpmn import parsing
from engine.clock import add_duration, is_duration, isoformat_local, local_date, parse_instant
from engine.errors import ValidationFailed
from engine.pathways.forms import FormCatalog
from engine.pathways.simulation import PathwayRun, SimulationResult, Step

_DATE = {"type": "string", "minLength": 10, "maxLength": 40}
_ID = {"type": "string", "minLength": 1, "maxLength": 255}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "start", "expect"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "description": {"type": "string"},
        "start": _DATE,
        "data": {"type": "object"},
        "timeline": {
            "type": "array",
            "maxItems": 500,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "at": _DATE,
                    "after": {"type": "string", "maxLength": 40},
                    "complete": _ID,
                    "signal": _ID,
                    "data": {"type": "object"},
                },
                "not": {"required": ["complete", "signal"]},  # one thing at a time
            },
        },
        "hold": {"type": "array", "items": _ID},
        "until": _DATE,
        "expect": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "task": _ID,
                    "timer": _ID,
                    "nth": {"type": "integer", "minimum": 1, "maximum": 100},
                    "opened": _DATE,
                    "due": _DATE,
                    "completed": _DATE,
                    "fired": _DATE,
                    "never": {"const": True},
                    "ends_by": _DATE,
                    "incident": {"type": ["boolean", "string"]},
                },
            },
        },
    },
}  # fmt: skip
_VALIDATOR = Draft202012Validator(SCHEMA)


@dataclass
class Scenario:
    name: str
    start: datetime
    data: dict[str, Any]
    timeline: list[dict[str, Any]]
    hold: list[str]
    until: datetime | None
    expect: list[dict[str, Any]]
    source: str = ""


@dataclass
class Outcome:
    scenario: Scenario
    result: SimulationResult
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def line(self) -> str:
        if self.passed:
            return f"PASS {self.scenario.name}"
        return f"FAIL {self.scenario.name}: {'; '.join(self.failures)}"


def load(path: Path) -> Scenario:
    """A scenario file, checked; ValidationFailed names the file and the field."""
    label = path.name
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ValidationFailed(f"{label}: cannot read", {label: [str(error)]}) from error
    except json.JSONDecodeError as error:
        raise ValidationFailed(
            f"{label}: not JSON", {label: [f"line {error.lineno}: {error.msg}"]}
        ) from error
    return parse(raw, label)


def parse(raw: Any, label: str = "scenario") -> Scenario:
    errors = sorted(_VALIDATOR.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = ".".join(str(part) for part in first.absolute_path) or "(file)"
        raise ValidationFailed(f"{label}: {where}: {first.message}", {where: [first.message]})
    try:
        start = parse_instant(raw["start"])
        until = parse_instant(raw["until"]) if "until" in raw else None
        for index, event in enumerate(raw.get("timeline", [])):
            _check_event(event, index)
    except ValueError as error:
        raise ValidationFailed(f"{label}: {error}", {"timeline": [str(error)]}) from error
    return Scenario(
        raw["name"],
        start,
        raw.get("data", {}),
        raw.get("timeline", []),
        raw.get("hold", []),
        until,
        raw["expect"],
        label,
    )


def _check_event(event: dict[str, Any], index: int) -> None:
    if "at" in event:
        parse_instant(event["at"])
    if "after" in event and not is_duration(event["after"]):
        raise ValueError(f"timeline.{index}.after: {event['after']!r} is not an ISO 8601 duration")


def run(scenario: Scenario, pathway: parsing.ParsedPathway, forms: FormCatalog) -> Outcome:
    """Drive the scenario's timeline on a simulated case and check its expectations."""
    simulation = PathwayRun(pathway, forms, scenario.start, scenario.data)
    later = [event.get("complete") for event in scenario.timeline]
    previous = scenario.start
    failures: list[str] = []
    for index, event in enumerate(scenario.timeline):
        when = _when(event, previous)
        previous = when
        waiting = set(scenario.hold) | {name for name in later[index:] if name}
        simulation.run_until(when, hold=waiting)
        if simulation.finished:
            break
        simulation.advance_to(when)
        try:
            if "complete" in event:
                simulation.complete(event["complete"], event.get("data"))
            elif "signal" in event:
                simulation.signal(event["signal"], event.get("data"))
        except LookupError as error:
            failures.append(f"timeline step {index + 1}: {error}")
            break
    if not failures:
        simulation.run_until(scenario.until, hold=set(scenario.hold))
    failures += [problem for item in scenario.expect if (problem := check(item, simulation.result))]
    return Outcome(scenario, simulation.result, failures)


def _when(event: dict[str, Any], previous: datetime) -> datetime:
    if "at" in event:
        return parse_instant(event["at"])
    if "after" in event:
        return add_duration(previous, event["after"])
    return previous


def check(expectation: dict[str, Any], result: SimulationResult) -> str:
    """ "" when ``result`` meets ``expectation``, else what was expected and what happened."""
    if "incident" in expectation:
        return _check_incident(expectation["incident"], result)
    if "ends_by" in expectation:
        end = next((s for s in result.steps if s.kind == "end"), None)
        if end is None or end.at > _latest(expectation["ends_by"]):
            got = isoformat_local(end.at) if end else "no end"
            return f"expected the case closed by {expectation['ends_by']}, got {got}"
        return ""
    element = expectation.get("task") or expectation.get("timer") or ""
    kind = "task" if "task" in expectation else "timer"
    nth = int(expectation.get("nth", 1))
    label = f"{element}" + (f" #{nth}" if nth > 1 else "")
    if expectation.get("never"):
        seen = result.of(element, kind)
        if len(seen) < nth:
            return ""
        return f"expected {label} never to {_verb(kind)}, got {isoformat_local(seen[nth - 1].at)}"
    for field_name in ("opened", "due", "completed", "fired"):
        if field_name in expectation:
            steps = result.of(element, "completed" if field_name == "completed" else kind)
            if len(steps) < nth:
                return f"expected {label} {field_name} {expectation[field_name]}, got {_never(field_name)}"
            step = steps[nth - 1]
            value = step.due_at if field_name == "due" else step.at
            if value is None or not _matches(expectation[field_name], value):
                got = isoformat_local(value) if value else "no due date"
                return f"expected {label} {field_name} {expectation[field_name]}, got {got}"
    return ""


def _check_incident(wanted: bool | str, result: SimulationResult) -> str:
    incident = next((step for step in result.steps if step.kind == "incident"), None)
    if wanted is False and incident is not None:
        return f"expected no incident, got {incident.element_id}: {incident.name}"
    if wanted is True and incident is None:
        return "expected an incident, got none"
    if isinstance(wanted, str) and (incident is None or incident.element_id != wanted):
        return f"expected an incident at {wanted}, got {incident.element_id if incident else 'none'}"
    return ""


def _matches(expected: str, value: datetime) -> bool:
    if len(expected.strip()) == 10:
        return local_date(value).isoformat() == expected.strip()
    return value == parse_instant(expected)


def _latest(expected: str) -> datetime:
    """The last instant an ``ends_by`` value allows: the end of that day for a date."""
    moment = parse_instant(expected)
    return add_duration(moment, "P1D") if len(expected.strip()) == 10 else moment


def _verb(kind: str) -> str:
    return "open" if kind == "task" else "fire"


def _never(field_name: str) -> str:
    return {"opened": "never opened", "due": "never opened", "completed": "never completed"}.get(
        field_name, "never fired"
    )


def scenario_files(pathway_dir: Path) -> list[Path]:
    return sorted((pathway_dir / "scenarios").glob("*.json"))


def steps_json(steps: list[Step]) -> list[dict[str, Any]]:
    """The steps as the CLI's ``--json`` prints them (the start is not a step of the case)."""
    return [step.as_json() for step in steps if step.kind != "start"]

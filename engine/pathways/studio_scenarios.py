"""The scenarios a draft is tested with, and how a coordinator updates them in the studio.

A pathway's scenarios start as the files beside it (``workflows/pathways/<key>/scenarios/*.json``,
what ``casepath pathways test`` runs). When a change to the pathway makes some fail on purpose (the
monthly review becomes six-weekly, so review 2 falls on another date), the coordinator updates them in
the studio: an edited or added scenario is kept with the draft, goes with it to the manager who
approves, and is deployed with the version. The next draft is then tested with the set deployed last.
A scenario is named like its file (``05_late_review_does_not_push_the_next``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.audit.chain import record
from engine.bpmn import parsing
from engine.errors import NotFound, ValidationFailed
from engine.pathways import form_versions, scenarios, versions
from engine.pathways.forms import FormCatalog
from engine.pathways.studio import DRAFT, ONLY_EDITORS, ONLY_READERS, find_draft, get_pathway, parsed_draft
from engine.people.permissions import Principal, can_edit_pathway, can_read_studio, require
from engine.store.models import Pathway, PathwayDraft
from engine.store.uow import UnitOfWork

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
MAX_SCENARIOS = 100
MAX_BYTES = 64_000  # one scenario, as JSON


@dataclass(frozen=True)
class Entry:
    """One scenario of the set: its raw JSON, or why its file could not be read."""

    name: str
    raw: Any = None
    error: str = ""


@dataclass(frozen=True)
class ScenarioReport:
    passed: int
    failed: list[dict[str, str]]
    results: list[dict[str, Any]] = field(default_factory=list)  # every scenario, passed or not


def scenario_set(uow: UnitOfWork, pathway: Pathway, pathways_dir: Path) -> list[Entry]:
    """The scenarios a draft of ``pathway`` is tested with: the draft's edits over the base set."""
    entries = {entry.name: entry for entry in _base(uow, pathway, pathways_dir)}
    draft = find_draft(uow, pathway)
    for name, raw in ((draft.scenarios or {}) if draft is not None else {}).items():
        entries[name] = Entry(name, raw)
    return [entries[name] for name in sorted(entries)]


def snapshot(uow: UnitOfWork, draft: PathwayDraft, pathways_dir: Path) -> dict[str, Any] | None:
    """What a version deployed from ``draft`` keeps: the whole set once the studio has edited any of it
    (now or for an earlier version); None while the files beside the pathway are all there is."""
    latest = versions.latest_version(uow, draft.pathway.key, required=False)
    if not draft.scenarios and (latest is None or latest.scenarios is None):
        return None
    return {
        entry.name: entry.raw for entry in scenario_set(uow, draft.pathway, pathways_dir) if not entry.error
    }


def list_scenarios(uow: UnitOfWork, who: Principal, key: str, pathways_dir: Path) -> list[dict[str, Any]]:
    require(can_read_studio(who), ONLY_READERS)
    pathway = get_pathway(uow, key)
    draft = find_draft(uow, pathway)
    edited = set((draft.scenarios or {}) if draft is not None else {})
    return [
        {"name": entry.name, "scenario": entry.raw, "error": entry.error, "edited": entry.name in edited}
        for entry in scenario_set(uow, pathway, pathways_dir)
    ]


def save_scenario(
    uow: UnitOfWork, who: Principal, key: str, name: str, raw: Any, forms: FormCatalog
) -> dict[str, Any]:
    """Keep ``raw`` as the draft's scenario ``name`` (new or edited) and run it against the draft."""
    require(can_edit_pathway(who), ONLY_EDITORS)
    if not NAME.match(name):
        raise ValidationFailed(
            "a scenario's name is lower-case letters, digits, '_' and '-', at most 80",
            {"name": [name[:80]]},
        )
    if len(json.dumps(raw, ensure_ascii=False).encode("utf-8")) > MAX_BYTES:
        raise ValidationFailed("the scenario is too large", {"scenario": [f"at most {MAX_BYTES} bytes"]})
    scenario = scenarios.parse(raw, name)
    pathway = get_pathway(uow, key)
    draft = find_draft(uow, pathway)
    if draft is None:
        raise NotFound(f"pathway '{key}' has no draft: save the diagram first")
    if draft.status != DRAFT:
        raise ValidationFailed(
            "the draft is awaiting approval: it changes when a manager decides",
            {"draft": ["awaiting approval"]},
        )
    edited = dict(draft.scenarios or {})
    if name not in edited and len(edited) >= MAX_SCENARIOS:
        raise ValidationFailed("too many edited scenarios", {"name": [f"at most {MAX_SCENARIOS}"]})
    edited[name] = raw
    draft.scenarios = edited  # a new dict: the JSON column sees the change
    uow.session.flush()
    record(uow.session, uow.clock.now(), who, "pathway.scenario_save", subject=key, detail={"scenario": name})
    forms = form_versions.deployable(uow, forms)
    outcome = scenarios.run(scenario, parsed_draft(uow, key, forms), forms)
    return {"name": name, "passed": outcome.passed, "failures": outcome.failures}


def run_draft_tests(
    uow: UnitOfWork, who: Principal, key: str, pathways_dir: Path, forms: FormCatalog
) -> ScenarioReport:
    """Every scenario of the pathway (the draft's edits included), run against the draft."""
    require(can_edit_pathway(who), ONLY_EDITORS)
    entries = scenario_set(uow, get_pathway(uow, key), pathways_dir)
    forms = form_versions.deployable(uow, forms)  # the forms the deploy would snapshot
    return run_scenarios(parsed_draft(uow, key, forms), entries, forms)


def run_scenarios(parsed: parsing.ParsedPathway, entries: list[Entry], forms: FormCatalog) -> ScenarioReport:
    passed, failed, results = 0, [], []
    for entry in entries:
        try:
            if entry.error:
                raise ValidationFailed(entry.error, {entry.name: [entry.error]})
            outcome = scenarios.run(scenarios.parse(entry.raw, entry.name), parsed, forms)
        except ValidationFailed as error:
            failed.append({"scenario": entry.name, "message": error.message, "name": entry.name})
            results.append(
                {"name": entry.name, "title": entry.name, "passed": False, "message": error.message}
            )
            continue
        message = "; ".join(outcome.failures)
        if outcome.passed:
            passed += 1
        else:
            failed.append({"scenario": outcome.scenario.name, "message": message, "name": entry.name})
        results.append(
            {"name": entry.name, "title": outcome.scenario.name, "passed": outcome.passed, "message": message}
        )
    return ScenarioReport(passed, failed, results)


def _base(uow: UnitOfWork, pathway: Pathway, pathways_dir: Path) -> list[Entry]:
    latest = versions.latest_version(uow, pathway.key, required=False)
    if latest is not None and latest.scenarios is not None:
        return [Entry(name, raw) for name, raw in latest.scenarios.items()]
    return [_read(path) for path in scenarios.scenario_files(pathways_dir / pathway.key)]


def _read(path: Path) -> Entry:
    try:
        return Entry(path.stem, json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return Entry(path.stem, error=f"{path.name}: not readable JSON ({type(error).__name__})")

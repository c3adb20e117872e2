"""The studio's drafts and reads: a coordinator saves a draft (never deployed by saving), sees its
verdict, lists the versions, compares any two of them or a version and the draft, and tries the draft
with a scenario or the pathway's own scenarios.

One draft per pathway. Saving goes through the same safe parse as an upload: a document the parse
refuses (a DOCTYPE, an entity, too large, not XML) is refused and nothing is stored; a diagram that
parses is stored whatever its verdict, which comes back with every problem coded
(:mod:`engine.pathways.problem_codes`). Deploying a draft, and the four-eyes approval, are in
:mod:`engine.pathways.studio_deploy`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.audit.chain import record
from engine.bpmn import checks, parsing, state
from engine.clock import is_duration
from engine.errors import ExpressionError, NotFound, PathwayInvalid, Problem, ValidationFailed
from engine.pathways import diff as diffs
from engine.pathways import form_versions, scenarios
from engine.pathways.forms import FormCatalog
from engine.pathways.importer import parse_xml
from engine.pathways.lint import Verdict, check_document
from engine.pathways.problem_codes import coded
from engine.pathways.versions import deployed_callees
from engine.people.permissions import Principal, can_edit_pathway, can_read_studio, require
from engine.store.models import Case, Pathway, PathwayDraft, PathwayVersion, User
from engine.store.uow import UnitOfWork

ONLY_EDITORS = "only a coordinator edits pathways"
ONLY_READERS = "only coordinators and managers use the pathway studio"
DRAFT = "draft"


class UnsafeDocument(PathwayInvalid):
    """A draft the safe parse refuses outright (DOCTYPE, entity, size, not XML): nothing is stored."""

    code = "unsafe_document"  # 400 (web/errors.py answers 400 for codes it does not list)


@dataclass(frozen=True)
class DraftView:
    key: str
    xml: str
    sha256: str
    author: str
    author_id: int | None
    saved_at: datetime
    status: str
    verdict: Verdict


@dataclass(frozen=True)
class VersionInfo:
    version: int
    deployed_by: str
    deployed_at: datetime
    note: str
    sha256: str
    open_cases: int
    calls: dict[str, int]  # the shared sub-pathways it calls → the version it pins


def get_pathway(uow: UnitOfWork, key: str) -> Pathway:
    pathway = uow.session.scalar(select(Pathway).where(Pathway.key == key))
    if pathway is None:
        raise NotFound(f"no pathway '{key}'")
    return pathway


def find_draft(uow: UnitOfWork, pathway: Pathway) -> PathwayDraft | None:
    return uow.session.scalar(select(PathwayDraft).where(PathwayDraft.pathway_id == pathway.id))


def verdict_of(uow: UnitOfWork, key: str, data: bytes, forms: FormCatalog) -> tuple[Verdict, Any]:
    """The verdict on a draft with every problem coded; a draft of another process is a problem too.

    Forms are checked as the deploy would snapshot them: form drafts and deployed versions count; a draft
    calls the deployed shared sub-pathways, as its deployment will.
    """
    forms = form_versions.deployable(uow, forms)
    callees = deployed_callees(uow)
    verdict, parsed = check_document(data, forms, "draft", uow.limits.min_cycle, callees=callees)
    if verdict.process_id and verdict.process_id != key:
        message = f"the executable process is '{verdict.process_id}': the pathway's process id is '{key}'"
        verdict.problems.append(Problem(verdict.process_id, message, code="process_id_mismatch"))
        parsed = None
    verdict.problems = [coded(problem) for problem in verdict.problems]
    return verdict, parsed


def save_draft(uow: UnitOfWork, who: Principal, key: str, data: bytes, forms: FormCatalog) -> DraftView:
    """Store ``data`` as the pathway's draft (replacing the previous one) and give its verdict."""
    require(can_edit_pathway(who), ONLY_EDITORS)
    pathway = get_pathway(uow, key)
    try:
        parse_xml(data, "draft")
    except PathwayInvalid as error:
        raise UnsafeDocument(error.message, [coded(p) for p in error.problems]) from error
    draft = find_draft(uow, pathway)
    if draft is not None and draft.status != DRAFT:
        raise ValidationFailed(
            "the draft is awaiting approval: it changes when a manager decides",
            {"draft": ["awaiting approval"]},
        )
    sha = hashlib.sha256(data).hexdigest()
    now = uow.clock.now()
    if draft is None:
        draft = PathwayDraft(pathway_id=pathway.id, bpmn_xml="", sha256="", saved_at=now, status=DRAFT)
        uow.session.add(draft)
    draft.bpmn_xml, draft.sha256, draft.saved_at, draft.author_id = (
        data.decode("utf-8"),
        sha,
        now,
        who.user_id,
    )
    uow.session.flush()
    verdict, _ = verdict_of(uow, key, data, forms)
    record(
        uow.session, now, who, "pathway.draft_save", subject=key,
        detail={"sha256": sha, "problems": len(verdict.problems)},
    )  # fmt: skip
    return _view(uow, pathway, draft, verdict)


def get_draft(uow: UnitOfWork, who: Principal, key: str, forms: FormCatalog) -> DraftView:
    require(can_read_studio(who), ONLY_READERS)
    pathway = get_pathway(uow, key)
    draft = find_draft(uow, pathway)
    if draft is None:
        raise NotFound(f"pathway '{key}' has no draft: open a version as a draft first")
    verdict, _ = verdict_of(uow, key, draft.bpmn_xml.encode("utf-8"), forms)
    return _view(uow, pathway, draft, verdict)


def _view(uow: UnitOfWork, pathway: Pathway, draft: PathwayDraft, verdict: Verdict) -> DraftView:
    author = uow.session.get(User, draft.author_id) if draft.author_id is not None else None
    return DraftView(
        pathway.key, draft.bpmn_xml, draft.sha256, author.username if author else "system",
        draft.author_id, draft.saved_at, draft.status, verdict,
    )  # fmt: skip


def list_versions(uow: UnitOfWork, who: Principal, key: str) -> list[VersionInfo]:
    """Every deployed version, newest first, with how many open cases run on it."""
    require(can_read_studio(who), ONLY_READERS)
    pathway = get_pathway(uow, key)
    open_cases = (
        select(Case.pathway_version_id, func.count().label("n"))
        .where(Case.status != "closed")
        .group_by(Case.pathway_version_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(PathwayVersion, User.username, open_cases.c.n)
        .outerjoin(User, User.id == PathwayVersion.deployed_by_id)
        .outerjoin(open_cases, open_cases.c.pathway_version_id == PathwayVersion.id)
        .where(PathwayVersion.pathway_id == pathway.id)
        .order_by(PathwayVersion.version.desc())
    ).all()
    return [
        VersionInfo(
            v.version,
            name or "system",
            v.deployed_at,
            v.note,
            v.sha256,
            int(n or 0),
            state.called_of(v.spec_json),
        )
        for v, name, n in rows
    ]


MAX_VERSION = 2**31 - 1  # pathway_version.version is a 32-bit integer


def version_xml(uow: UnitOfWork, who: Principal, key: str, number: int) -> str:
    require(can_read_studio(who), ONLY_READERS)
    in_range = 0 < number <= MAX_VERSION  # a number no column holds names no version (never a database error)
    version = (
        uow.session.scalar(
            select(PathwayVersion).join(Pathway).where(Pathway.key == key, PathwayVersion.version == number)
        )
        if in_range
        else None
    )
    if version is None:
        raise NotFound(f"pathway '{key}' has no version {number}")
    record(uow.session, uow.clock.now(), who, "pathway.download", subject=f"{key} v{number}")
    return version.bpmn_xml


def open_version_as_draft(
    uow: UnitOfWork, who: Principal, key: str, number: int, forms: FormCatalog
) -> DraftView:
    """Start a new draft from a deployed version (replacing the current draft)."""
    xml = version_xml(uow, who, key, number)
    return save_draft(uow, who, key, xml.encode("utf-8"), forms)


def side_xml(uow: UnitOfWork, key: str, side: str) -> bytes:
    """A version number or ``draft``, as the diff's ``from`` and ``to`` name them."""
    pathway = get_pathway(uow, key)
    if side == DRAFT:
        draft = find_draft(uow, pathway)
        if draft is None:
            raise NotFound(f"pathway '{key}' has no draft")
        return draft.bpmn_xml.encode("utf-8")
    if not side.isdigit() or len(side) > 9:
        raise ValidationFailed(
            f"'{side[:20]}' is neither a version number nor 'draft'", {"from/to": [side[:20]]}
        )
    version = uow.session.scalar(
        select(PathwayVersion).where(
            PathwayVersion.pathway_id == pathway.id, PathwayVersion.version == int(side)
        )
    )
    if version is None:
        raise NotFound(f"pathway '{key}' has no version {side}")
    return version.bpmn_xml.encode("utf-8")


def diff_sides(uow: UnitOfWork, who: Principal, key: str, old: str, new: str) -> diffs.Diff:
    require(can_read_studio(who), ONLY_READERS)
    return diffs.compare(diffs.summary(side_xml(uow, key, old)), diffs.summary(side_xml(uow, key, new)))


def parsed_draft(uow: UnitOfWork, key: str, forms: FormCatalog) -> parsing.ParsedPathway:
    data = side_xml(uow, key, DRAFT)
    verdict, parsed = verdict_of(uow, key, data, forms)
    if parsed is None:
        raise PathwayInvalid("the draft cannot run: fix its problems first", verdict.problems)
    return parsed  # type: ignore[no-any-return]


def simulate_draft(
    uow: UnitOfWork, who: Principal, key: str, raw_scenario: Any, forms: FormCatalog
) -> list[dict[str, Any]]:
    """Run the draft through a scenario (the format of :mod:`engine.pathways.scenarios`)."""
    require(can_edit_pathway(who), ONLY_EDITORS)
    scenario = scenarios.parse(raw_scenario, "scenario")
    forms = form_versions.deployable(uow, forms)
    outcome = scenarios.run(scenario, parsed_draft(uow, key, forms), forms)
    return scenarios.steps_json(outcome.result.steps)


EXPRESSION_KINDS = ("expression", "script", "timer", "due")


def check_expression_text(kind: str, text: str) -> str:
    """ "" when ``text`` is a valid ``kind`` (see EXPRESSION_KINDS), else what is wrong (English)."""
    if kind not in EXPRESSION_KINDS:
        raise ValidationFailed(f"kind must be one of {', '.join(EXPRESSION_KINDS)}", {"kind": [kind[:40]]})
    if kind == "due":
        if not text.strip() or is_duration(text.strip()):
            return ""
        kind = "expression"
    try:
        checks.check_text(kind, text)
    except ExpressionError as error:
        return error.message
    return ""

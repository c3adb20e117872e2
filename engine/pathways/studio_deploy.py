"""Deploying a draft from the studio, and the second pair of eyes on a change to a clock.

A deploy needs a note. A draft that says what the latest version says (comments and indentation
aside) is refused: nothing changed. A draft whose scenarios fail deploys only when the coordinator
confirms it, having been told which fail. A draft that changes a clock (a timer, a due date, what it
counts from, its legal source), a role, or removes a step is not deployed but waits for a manager of a
centre that runs the pathway, who is not the one who asked (:func:`decide`): the draft is then
"awaiting approval" until the manager approves (the version is deployed, as asked, by its author) or
rejects it with a reason. Every step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from engine.audit.chain import record
from engine.errors import ConcurrencyConflict, NotFound, PathwayInvalid, ValidationFailed
from engine.notify.notifications import PATHWAY_APPROVAL, notify_centre
from engine.pathways import diff as diffs
from engine.pathways import form_versions, versions
from engine.pathways.forms import FormCatalog
from engine.pathways.studio import DRAFT, ONLY_EDITORS, find_draft, get_pathway, verdict_of
from engine.pathways.studio_scenarios import run_scenarios, scenario_set, snapshot
from engine.people.permissions import (
    PATHWAY_APPROVERS,
    Principal,
    can_approve_pathway,
    can_deploy_pathway,
    can_edit_pathway,
    can_read_studio,
    require,
)
from engine.store.models import PathwayApproval, PathwayDraft, PathwayVersion, User
from engine.store.uow import UnitOfWork

AWAITING = "awaiting_approval"
DECISIONS = ("approve", "reject")
MAX_NOTE = 2000


@dataclass(frozen=True)
class DeployOutcome:
    """Either the deployed version's number, or the approval the deploy waits for."""

    version: int | None = None
    approval_id: int | None = None
    reasons: tuple[diffs.ApprovalReason, ...] = ()


def deploy_draft(
    uow: UnitOfWork,
    who: Principal,
    key: str,
    note: str,
    forms: FormCatalog,
    pathways_dir: Path,
    confirm_failures: bool = False,
) -> DeployOutcome:
    require(can_edit_pathway(who), ONLY_EDITORS)
    require(can_deploy_pathway(who, versions.centres_using(uow, key)), versions.NOT_YOUR_PATHWAY)
    note = note.strip()
    if not note:
        raise ValidationFailed("a deploy needs a note: say what changes and why", {"note": ["required"]})
    if len(note) > MAX_NOTE:
        raise ValidationFailed("the note is too long", {"note": [f"at most {MAX_NOTE} characters"]})
    pathway = get_pathway(uow, key)
    draft = _draft_to_deploy(uow, pathway.id, key)
    data = draft.bpmn_xml.encode("utf-8")
    forms = form_versions.deployable(uow, forms)
    verdict, parsed = verdict_of(uow, key, data, forms)
    if parsed is None:
        raise PathwayInvalid("the draft cannot be deployed: fix its problems first", verdict.problems)
    latest = versions.latest_version(uow, key, required=False)
    old = latest.bpmn_xml.encode("utf-8") if latest is not None else None
    if (
        old is not None
        and diffs.canonical(old) == diffs.canonical(data)
        and not form_versions.forms_changed(uow, latest, parsed, forms)
    ):
        raise ValidationFailed(
            "nothing changed: the draft is the latest version", {"draft": ["nothing changed"]}
        )
    report = run_scenarios(parsed, scenario_set(uow, pathway, pathways_dir), forms)
    if report.failed and not confirm_failures:
        names = [f"{item['scenario']}: {item['message']}" for item in report.failed]
        raise ValidationFailed(
            f"{len(names)} scenario(s) fail against the draft; confirm to deploy anyway",
            {"confirm_failures": names},
        )
    reasons = diffs.approval_reasons(diffs.compare(diffs.summary(old), diffs.summary(data))) if old else []
    deployed_scenarios = snapshot(uow, draft, pathways_dir)
    if reasons:
        return _ask_for_approval(uow, who, draft, latest, note, reasons, deployed_scenarios)
    version = _deploy(uow, Principal(who.user_id, who.name), data, note, forms, key)
    version.scenarios = deployed_scenarios
    uow.session.delete(draft)
    return DeployOutcome(version=version.version)


def _draft_to_deploy(uow: UnitOfWork, pathway_id: int, key: str) -> PathwayDraft:
    draft = uow.session.scalar(select(PathwayDraft).where(PathwayDraft.pathway_id == pathway_id))
    if draft is None:
        raise NotFound(f"pathway '{key}' has no draft")
    if draft.status != DRAFT:
        raise ValidationFailed("the draft is already awaiting approval", {"draft": ["awaiting approval"]})
    return draft


def _ask_for_approval(
    uow: UnitOfWork,
    who: Principal,
    draft: PathwayDraft,
    latest: PathwayVersion | None,
    note: str,
    reasons: list[diffs.ApprovalReason],
    deployed_scenarios: dict[str, object] | None,
) -> DeployOutcome:
    now = uow.clock.now()
    approval = PathwayApproval(
        pathway_id=draft.pathway_id, base_version=latest.version if latest else None,
        bpmn_xml=draft.bpmn_xml, sha256=draft.sha256, note=note,
        reasons=[reason.as_json() for reason in reasons],
        requested_by_id=who.user_id, requested_at=now, status="pending", reason="",
        scenarios=deployed_scenarios,
    )  # fmt: skip
    uow.session.add(approval)
    draft.status = AWAITING
    uow.session.flush()
    _tell_the_managers(uow, who, draft.pathway.key, approval.id)
    record(
        uow.session, now, who, "pathway.approval_request", subject=draft.pathway.key,
        detail={
            "approval": approval.id, "sha256": draft.sha256,
            "reasons": [reason.line() for reason in reasons[:50]],
        },
    )  # fmt: skip
    return DeployOutcome(approval_id=approval.id, reasons=tuple(reasons))


def _tell_the_managers(uow: UnitOfWork, who: Principal, key: str, approval_id: int) -> None:
    """The managers of every centre that runs the pathway hear that a change waits for one of them."""
    params = {"pathway": key, "approval": approval_id, "by": who.name}
    exclude = {who.user_id} if who.user_id is not None else set()
    for centre_id in versions.centres_using(uow, key):
        notify_centre(uow, centre_id, PATHWAY_APPROVERS, PATHWAY_APPROVAL, params, exclude=exclude)


def _deploy(
    uow: UnitOfWork, author: Principal, data: bytes, note: str, forms: FormCatalog, key: str
) -> PathwayVersion:
    version = versions.deploy(uow, data, forms, author, f"{key}.bpmn")
    version.note = note
    uow.session.flush()
    versions.tell_the_centres(uow, author, version)
    return version


@dataclass(frozen=True)
class ApprovalView:
    id: int
    key: str
    status: str
    base_version: int | None
    note: str
    reasons: list[diffs.ApprovalReason]
    requested_by: str
    requested_at: object
    decided_by: str
    reason: str
    version: int | None
    may_decide: bool


def get_approval(uow: UnitOfWork, who: Principal, approval_id: int) -> ApprovalView:
    require(can_read_studio(who), "only coordinators and managers use the pathway studio")
    return _approval_view(uow, who, _load(uow, approval_id))


def list_approvals(uow: UnitOfWork, who: Principal, status: str = "pending") -> list[ApprovalView]:
    require(can_read_studio(who), "only coordinators and managers use the pathway studio")
    rows = uow.session.scalars(
        select(PathwayApproval).where(PathwayApproval.status == status).order_by(PathwayApproval.id)
    )
    return [_approval_view(uow, who, row) for row in rows]


def approval_diff(uow: UnitOfWork, who: Principal, approval_id: int) -> diffs.Diff:
    """What the approval would change: from the version it was asked against to what it deploys."""
    require(can_read_studio(who), "only coordinators and managers use the pathway studio")
    approval = _load(uow, approval_id)
    base = _base_version(uow, approval)
    old = diffs.summary(base.bpmn_xml.encode("utf-8")) if base is not None else {}
    return diffs.compare(old, diffs.summary(approval.bpmn_xml.encode("utf-8")))


def approval_xml(uow: UnitOfWork, who: Principal, approval_id: int) -> str:
    require(can_read_studio(who), "only coordinators and managers use the pathway studio")
    return _load(uow, approval_id).bpmn_xml


def _base_version(uow: UnitOfWork, approval: PathwayApproval) -> PathwayVersion | None:
    if approval.base_version is None:
        return None
    return uow.session.scalar(
        select(PathwayVersion).where(
            PathwayVersion.pathway_id == approval.pathway_id, PathwayVersion.version == approval.base_version
        )
    )


def _load(uow: UnitOfWork, approval_id: int) -> PathwayApproval:
    approval = uow.session.get(PathwayApproval, approval_id)
    if approval is None:
        raise NotFound(f"no approval {approval_id}")
    return approval


def _approval_view(uow: UnitOfWork, who: Principal, approval: PathwayApproval) -> ApprovalView:
    names = {
        user.id: user.username
        for user in uow.session.scalars(
            select(User).where(User.id.in_([approval.requested_by_id or 0, approval.decided_by_id or 0]))
        )
    }
    version = uow.session.get(PathwayVersion, approval.version_id) if approval.version_id else None
    used_by = versions.centres_using(uow, approval.pathway.key)
    reasons = [diffs.ApprovalReason.from_json(raw) for raw in approval.reasons]
    return ApprovalView(
        approval.id, approval.pathway.key, approval.status, approval.base_version, approval.note,
        reasons, names.get(approval.requested_by_id or 0, "system"), approval.requested_at,
        names.get(approval.decided_by_id or 0, ""), approval.reason, version.version if version else None,
        approval.status == "pending" and can_approve_pathway(who, used_by, approval.requested_by_id),
    )  # fmt: skip


def decide(
    uow: UnitOfWork, who: Principal, approval_id: int, decision: str, reason: str, forms: FormCatalog
) -> ApprovalView:
    """A manager approves (the version is deployed) or rejects (the draft is editable again)."""
    approval = _load(uow, approval_id)
    key = approval.pathway.key
    used_by = versions.centres_using(uow, key)
    require(
        can_approve_pathway(who, used_by, approval.requested_by_id),
        "only a manager of a centre that runs the pathway, who did not ask for the change, decides",
    )
    if decision not in DECISIONS:
        raise ValidationFailed("decide approve or reject", {"decision": ["approve or reject"]})
    reason = reason.strip()
    if decision == "reject" and not reason:
        raise ValidationFailed("say why the change is rejected", {"reason": ["required to reject"]})
    if approval.status != "pending":
        raise ConcurrencyConflict(f"the approval was already decided: {approval.status}")
    now = uow.clock.now()
    if decision == "approve":
        latest = versions.latest_version(uow, key, required=False)
        if (latest.version if latest else None) != approval.base_version:
            raise ConcurrencyConflict("another version was deployed since: the change must be asked again")
        author = uow.session.get(User, approval.requested_by_id) if approval.requested_by_id else None
        asker = Principal(author.id, author.username) if author else Principal(None, "system")
        version = _deploy(uow, asker, approval.bpmn_xml.encode("utf-8"), approval.note, forms, key)
        version.scenarios = approval.scenarios
        approval.version_id = version.id
    approval.status = "approved" if decision == "approve" else "rejected"
    approval.decided_by_id, approval.decided_at, approval.reason = who.user_id, now, reason
    _settle_draft(uow, approval)
    uow.session.flush()
    record(
        uow.session, now, who, f"pathway.{approval.status}", subject=key,
        detail={"approval": approval.id, "reason": reason[:500], "sha256": approval.sha256},
    )  # fmt: skip
    return _approval_view(uow, who, approval)


def _settle_draft(uow: UnitOfWork, approval: PathwayApproval) -> None:
    draft = find_draft(uow, approval.pathway)
    if draft is None:
        return
    if approval.status == "approved" and draft.sha256 == approval.sha256:
        uow.session.delete(draft)
    else:
        draft.status = DRAFT

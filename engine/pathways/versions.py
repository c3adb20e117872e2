"""Pathway versions: deployment, the catalogue of deployed pathways, and who is told of a new version.

A deployed diagram is stored with its checked specs; an identical diagram is not stored twice. A
coordinator deploys only a pathway that a centre they coordinate uses (see docs/people.md); the web
page, the JSON API and ``casepath pathways deploy --by`` all come through :func:`upload_pathway`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from engine.audit.chain import Actor, record
from engine.bpmn import parsing, state
from engine.errors import NotFound, PathwayInvalid, ValidationFailed
from engine.notify.notifications import PATHWAY_DEPLOYED, notify_centre
from engine.pathways import form_versions, names
from engine.pathways.callees import sub_pathways
from engine.pathways.forms import FormCatalog
from engine.pathways.importer import parse_xml
from engine.pathways.lint import check_document
from engine.people.permissions import Principal, can_deploy_pathway, can_edit_pathway, require
from engine.people.roles import TOLD_OF_DEPLOYMENTS
from engine.store.models import Centre, Pathway, PathwayVersion
from engine.store.uow import UnitOfWork

NOT_YOUR_PATHWAY = "only a coordinator of a centre that uses this pathway may deploy it"


def pathway_catalogue(uow: UnitOfWork, who: Principal) -> list[PathwayInfo]:
    require(can_edit_pathway(who), "only a coordinator manages pathways")
    return list_pathways(uow)


def upload_pathway(
    uow: UnitOfWork, who: Principal, data: bytes, filename: str, forms: FormCatalog
) -> PathwayVersion:
    """Check and deploy an uploaded diagram; PathwayInvalid lists the problems per element id.

    A coordinator deploys only a pathway that a centre they coordinate uses (see
    docs/people.md); the web page, the JSON API and ``casepath pathways deploy --by`` all
    come here.
    """
    require(can_edit_pathway(who), "only a coordinator manages pathways")
    if not data:
        raise ValidationFailed("no file", {"file": [NO_FILE]})
    label = (filename or "upload.bpmn").replace("\\", "/").rsplit("/", 1)[-1][:120]

    before: dict[str, int | None] = {}

    def authorise(key: str) -> None:
        require(can_deploy_pathway(who, centres_using(uow, key)), NOT_YOUR_PATHWAY)
        latest = latest_version(uow, key, required=False)
        before[key] = latest.id if latest is not None else None

    version = deploy(uow, data, forms, who, label, authorise)
    if before.get(version.process_id) != version.id:
        tell_the_centres(uow, who, version)
    return version


def tell_the_centres(uow: UnitOfWork, who: Principal, version: PathwayVersion) -> None:
    """Every centre that runs the pathway hears of a new version: its managers and coordinators, so
    that a change made from another centre of the same kind never goes unseen."""
    params = {"process_id": version.process_id, "version": version.version, "by": who.name}
    exclude = {who.user_id} if who.user_id is not None else set()
    for centre_id in centres_using(uow, version.process_id):
        notify_centre(uow, centre_id, TOLD_OF_DEPLOYMENTS, PATHWAY_DEPLOYED, params, exclude=exclude)


@dataclass(frozen=True)
class PathwayInfo:
    key: str
    name: str
    centre_kind: str
    target: str
    version: int
    version_id: int


NO_FILE = "choose a .bpmn file"  # a field error: shown in the reader's language (web/field_messages.py)

# The shipped pathways: the name, the kind of centre that runs it (its intake), the people it is for.
CATALOGUE = {
    "crisis_centre_adult": ("Кризисен център – пълнолетни", "crisis_centre", "adult"),
    "crisis_centre_child": ("Кризисен център – деца", "crisis_centre", "child"),
    "community_support": ("Център за обществена подкрепа – дете и семейство", "community_support", "any"),
    # a shared sub-pathway the crisis-centre pathways call (no case opens on it): their coordinators keep it
    "monthly_review": ("Месечен преглед на плана (споделен)", "crisis_centre", "any"),
}


def centre_kind_of(uow: UnitOfWork, key: str) -> str:
    """The kind of centre whose intake runs this pathway (see ``cases.choose_pathway``); "" for none."""
    stored = uow.session.scalar(select(Pathway.centre_kind).where(Pathway.key == key))
    return stored if stored is not None else CATALOGUE.get(key, ("", "", ""))[1]


def centres_using(uow: UnitOfWork, key: str) -> list[int]:
    """The centres that use a pathway: every centre of the kind it is written for."""
    kind = centre_kind_of(uow, key)
    if not kind:
        return []
    return list(uow.session.scalars(select(Centre.id).where(Centre.kind == kind).order_by(Centre.id)))


def deploy(
    uow: UnitOfWork,
    data: bytes,
    forms: FormCatalog,
    actor: Actor,
    label: str = "upload",
    authorise: Callable[[str], None] | None = None,
) -> PathwayVersion:
    """Check and store a new version of a pathway; an identical diagram is not stored twice.

    ``authorise`` is called with the pathway's key once the diagram is read, before anything is
    stored (``pathway_catalogue.upload_pathway`` checks there who may deploy it).
    """
    forms = form_versions.deployable(uow, forms)
    verdict, parsed = check_document(data, forms, label, uow.limits.min_cycle, callees=deployed_callees(uow))
    if parsed is None:
        raise PathwayInvalid(f"{label} cannot be deployed", verdict.problems)
    if authorise is not None:
        authorise(parsed.process_id)
    session = uow.session
    sha = _fingerprint(data, verdict.decisions)
    chosen = form_versions.resolve(uow, parsed, forms, actor)  # publishes form drafts and new files
    pathway = session.scalar(select(Pathway).where(Pathway.key == parsed.process_id))
    if pathway is None:
        name, kind, target = CATALOGUE.get(parsed.process_id, (parsed.process_id, "", "any"))
        pathway = Pathway(key=parsed.process_id, name=name, centre_kind=kind, target=target)
        session.add(pathway)
        session.flush()
    latest = latest_version(uow, pathway.key, required=False)
    if (
        latest is not None
        and latest.sha256 == sha
        and parsed_version(latest).called == parsed.called
        and form_versions.linked(uow, latest.id) == {key: form.id for key, form in chosen.items()}
    ):
        return latest  # the same diagram, calling the same versions of the pathways it calls, same forms
    number = (
        session.scalar(
            select(func.max(PathwayVersion.version)).where(PathwayVersion.pathway_id == pathway.id)
        )
        or 0
    ) + 1
    version = PathwayVersion(
        pathway=pathway,
        version=number,
        process_id=parsed.process_id,
        bpmn_xml=data.decode("utf-8"),
        sha256=sha,
        spec_json=state.dump_spec(parsed),
        deployed_by_id=actor.user_id,
        deployed_at=uow.clock.now(),
    )
    session.add(version)
    session.flush()
    form_versions.link(uow, version.id, chosen)
    names.remember(version.id, sha, parsed)
    record(
        session,
        uow.clock.now(),
        actor,
        "pathway.deploy",
        subject=f"{pathway.key} v{number}",
        detail={
            "sha256": sha,
            "decisions": sorted(verdict.decisions),
            "calls": parsed.called,
            "forms": {key: form.version for key, form in sorted(chosen.items())},
        },
    )
    return version


def deployed_callees(uow: UnitOfWork) -> Callable[[str], tuple[bytes, int] | None]:
    """Finds the pathway a call activity calls: its latest deployed version, which the caller pins."""

    def find(key: str) -> tuple[bytes, int] | None:
        version = latest_version(uow, key, required=False)
        return (version.bpmn_xml.encode("utf-8"), version.version) if version is not None else None

    return find


def _fingerprint(data: bytes, decisions: dict[str, bytes]) -> str:
    """The diagram's SHA-256; with the DMN files its business rules call (the version snapshots them),
    so a changed decision deploys a new version even when the diagram is the same."""
    digest = hashlib.sha256(data)
    for decision_id in sorted(decisions):
        digest.update(b"\0" + decision_id.encode("utf-8") + b"\0" + decisions[decision_id])
    return digest.hexdigest()


def latest_version(uow: UnitOfWork, key: str, required: bool = True) -> PathwayVersion | None:
    version = uow.session.scalar(
        select(PathwayVersion)
        .join(Pathway)
        .where(Pathway.key == key)
        .order_by(PathwayVersion.version.desc())
        .limit(1)
    )
    if version is None and required:
        raise NotFound(f"pathway '{key}' has no deployed version")
    return version


def list_pathways(uow: UnitOfWork) -> list[PathwayInfo]:
    newest = (
        select(PathwayVersion.pathway_id, func.max(PathwayVersion.version).label("v"))
        .group_by(PathwayVersion.pathway_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(Pathway, PathwayVersion)
        .join(newest, newest.c.pathway_id == Pathway.id)
        .join(
            PathwayVersion, (PathwayVersion.pathway_id == Pathway.id) & (PathwayVersion.version == newest.c.v)
        )
        .order_by(Pathway.key)
    ).all()
    return [PathwayInfo(p.key, p.name, p.centre_kind, p.target, v.version, v.id) for p, v in rows]


def shipped_files(workflows_dir: Path) -> list[Path]:
    """The shipped diagrams, those that call no other pathway first (they are deployed in this order)."""
    files = sorted((workflows_dir / "pathways").glob("*/*.bpmn"))
    return sorted(files, key=lambda path: b"calledElement" in path.read_bytes())


def deploy_shipped(
    uow: UnitOfWork, workflows_dir: Path, forms: FormCatalog, actor: Actor
) -> list[PathwayVersion]:
    """Deploy every shipped diagram whose content is not yet the latest version."""
    return [deploy(uow, path.read_bytes(), forms, actor, path.name) for path in shipped_files(workflows_dir)]


def deploy_shipped_pathway(
    uow: UnitOfWork, workflows_dir: Path, key: str, forms: FormCatalog, actor: Actor
) -> PathwayVersion:
    """Deploy one shipped pathway, after the shipped pathways it calls (whose versions it then pins)."""
    pathways_dir = workflows_dir / "pathways"
    data = (pathways_dir / key / f"{key}.bpmn").read_bytes()
    for called in sorted(parsing.called_elements(parse_xml(data, key)) & sub_pathways(pathways_dir)):
        deploy(uow, (pathways_dir / called / f"{called}.bpmn").read_bytes(), forms, actor, f"{called}.bpmn")
    return deploy(uow, data, forms, actor, f"{key}.bpmn")


def parsed_version(version: PathwayVersion) -> parsing.ParsedPathway:
    return state.load_spec(version.spec_json)

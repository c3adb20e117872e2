"""Pathways as coordinators manage them: the deployed list and uploads, behind their permission."""

from __future__ import annotations

from engine.errors import ValidationFailed
from engine.forms import FormCatalog
from engine.notifications import PATHWAY_DEPLOYED, notify_centre
from engine.pathways import PathwayInfo, centres_using, deploy, latest_version, list_pathways
from engine.permissions import Principal, can_deploy_pathway, can_edit_pathway, require
from engine.store.models import PathwayVersion
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
        raise ValidationFailed("no file", {"file": ["choose a .bpmn file"]})
    label = (filename or "upload.bpmn").replace("\\", "/").rsplit("/", 1)[-1][:120]

    before: dict[str, int | None] = {}

    def authorise(key: str) -> None:
        require(can_deploy_pathway(who, centres_using(uow, key)), NOT_YOUR_PATHWAY)
        latest = latest_version(uow, key, required=False)
        before[key] = latest.id if latest is not None else None

    version = deploy(uow, data, forms, who, label, authorise)
    if before.get(version.process_id) != version.id:
        _tell_the_centres(uow, who, version)
    return version


def _tell_the_centres(uow: UnitOfWork, who: Principal, version: PathwayVersion) -> None:
    """Every centre that runs the pathway hears of a new version: its managers and coordinators, so
    that a change made from another centre of the same kind never goes unseen."""
    texts = {
        "bg": f"Пътеката {version.process_id} е обновена до версия {version.version} от {who.name}",
        "en": f"The pathway {version.process_id} was updated to version {version.version} by {who.name}",
    }
    exclude = {who.user_id} if who.user_id is not None else set()
    for centre_id in centres_using(uow, version.process_id):
        notify_centre(uow, centre_id, ["manager", "coordinator"], PATHWAY_DEPLOYED, texts, exclude=exclude)

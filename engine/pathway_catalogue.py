"""Pathways as coordinators manage them: the deployed list and uploads, behind their permission."""

from __future__ import annotations

from engine.errors import ValidationFailed
from engine.forms import FormCatalog
from engine.pathways import PathwayInfo, deploy, list_pathways
from engine.permissions import Principal, can_edit_pathway, require
from engine.store.models import PathwayVersion
from engine.store.uow import UnitOfWork


def pathway_catalogue(uow: UnitOfWork, who: Principal) -> list[PathwayInfo]:
    require(can_edit_pathway(who), "only a coordinator manages pathways")
    return list_pathways(uow)


def upload_pathway(
    uow: UnitOfWork, who: Principal, data: bytes, filename: str, forms: FormCatalog
) -> PathwayVersion:
    """Check and deploy an uploaded diagram; PathwayInvalid lists the problems per element id."""
    require(can_edit_pathway(who), "only a coordinator manages pathways")
    if not data:
        raise ValidationFailed("no file", {"file": ["choose a .bpmn file"]})
    label = (filename or "upload.bpmn").replace("\\", "/").rsplit("/", 1)[-1][:120]
    return deploy(uow, data, forms, who, label)

"""The list of forms for the studio: every form shipped, deployed or drafted, and who uses it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.pathways.form_drafts import ONLY_READERS
from engine.pathways.form_versions import known_keys, shipped
from engine.pathways.forms import FormCatalog, localised
from engine.people.permissions import Principal, can_read_studio, require
from engine.store.models import FormDraft, FormVersion, Pathway, PathwayVersion, PathwayVersionForm
from engine.store.uow import UnitOfWork


@dataclass(frozen=True)
class FormInfo:
    key: str
    title: str
    title_en: str
    version: int | None
    has_draft: bool
    used_by: list[str]


def forms_in_use(uow: UnitOfWork) -> dict[str, list[str]]:
    """Form key → the pathways whose latest version was deployed with it (read from the snapshots)."""
    sub = (
        select(PathwayVersion.pathway_id, func.max(PathwayVersion.version).label("v"))
        .group_by(PathwayVersion.pathway_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(PathwayVersionForm.form_key, Pathway.key)
        .join(PathwayVersion, PathwayVersion.id == PathwayVersionForm.pathway_version_id)
        .join(sub, (PathwayVersion.pathway_id == sub.c.pathway_id) & (PathwayVersion.version == sub.c.v))
        .join(Pathway, Pathway.id == PathwayVersion.pathway_id)
    ).all()
    users: dict[str, list[str]] = {}
    for form_key, pathway_key in rows:
        users.setdefault(str(form_key), []).append(str(pathway_key))
    return {key: sorted(keys) for key, keys in users.items()}


def list_forms(uow: UnitOfWork, who: Principal, files: FormCatalog) -> list[FormInfo]:
    """Every form: shipped, deployed or drafted, with the pathways whose latest version uses it."""
    require(can_read_studio(who), ONLY_READERS)
    users = forms_in_use(uow)
    drafts = {d.key: d for d in uow.session.scalars(select(FormDraft))}
    latest: dict[str, FormVersion] = {}
    for version in uow.session.scalars(select(FormVersion).order_by(FormVersion.version)):
        latest[version.key] = version  # the highest number last
    files = shipped(files)
    infos = []
    for key in known_keys(uow, files):
        found = drafts.get(key) or latest.get(key)
        schema = json.loads(found.schema_json) if found is not None else files.file_schema(key)
        schema = schema if isinstance(schema, dict) else {}
        infos.append(
            FormInfo(
                key,
                localised(schema, "title", "bg") or key,
                localised(schema, "title", "en") or key,
                latest[key].version if key in latest else None,
                key in drafts,
                users.get(key, []),
            )
        )
    return infos

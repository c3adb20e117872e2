"""``/api/v1/pathways``: the deployed pathways, and BPMN upload by a coordinator."""

from __future__ import annotations

from typing import Any

from flask import request
from webargs.flaskparser import abort

from engine.pathways import versions
from engine.people.permissions import require
from web.api.auth import caller
from web.api.base import api_blueprint, errors
from web.api.schemas import DeployedSchema, PathwayListSchema
from web.db import current_services, reads_only, request_uow

blp = api_blueprint("pathways", "Case pathways (BPMN diagrams) and their versions")

UPLOAD_BODY = {
    "required": True,
    "description": "a BPMN 2.0 file: as a multipart field named `file`, or as the raw XML body",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        },
        "application/xml": {"schema": {"type": "string", "format": "binary"}},
    },
}


@blp.get("/pathways")
@blp.response(200, PathwayListSchema)
@errors(blp, 403)
@reads_only
def list_pathways() -> dict[str, Any]:
    """The pathways with their newest deployed version."""
    require(bool(caller().roles), "you have no role in any centre")
    return {"items": versions.list_pathways(request_uow())}


@blp.post("/pathways")
@blp.doc(requestBody=UPLOAD_BODY)
@blp.response(201, DeployedSchema)
@errors(blp, 400, 403, 413, 415, 422)
def upload_pathway() -> dict[str, Any]:
    """Deploy a BPMN diagram as a new version of its pathway (coordinators).

    An invalid diagram answers 422 with `error` = `pathway_invalid` and the problems per BPMN
    element id in `fields`. Uploading the newest version again changes nothing and answers with it.
    """
    who = caller()
    data, label = _uploaded_file()
    version = versions.upload_pathway(request_uow(), who, data, label, current_services().forms)
    return {"key": version.pathway.key, "version": version.version, "deployed_at": version.deployed_at}


def _uploaded_file() -> tuple[bytes, str]:
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, messages={"files": {"file": ["a BPMN file is required"]}})
        return upload.read(), (upload.filename or "upload.bpmn")[:200]
    if mimetype in {"application/xml", "text/xml"}:
        return request.get_data(), "upload.bpmn"
    abort(415, message="send the diagram as multipart/form-data (field 'file') or as application/xml")
    raise AssertionError  # abort() raised

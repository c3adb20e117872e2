"""The OpenAPI document: generated from the code, valid OpenAPI 3.0, and listing every endpoint."""

from __future__ import annotations

import re

import pytest
import schemathesis

from tests.web import api_fixtures as fx

ENDPOINTS = {
    ("get", "/api/v1/tasks"),
    ("get", "/api/v1/statistics"),
    ("post", "/api/v1/tasks/{task_id}/claim"),
    ("post", "/api/v1/tasks/{task_id}/complete"),
    ("get", "/api/v1/cases"),
    ("post", "/api/v1/cases"),
    ("get", "/api/v1/cases/{case_id}"),
    ("get", "/api/v1/cases/{case_id}/audit"),
    ("get", "/api/v1/cases/{case_id}/repair"),
    ("post", "/api/v1/cases/{case_id}/suspend"),
    ("post", "/api/v1/cases/{case_id}/resume"),
    ("post", "/api/v1/cases/{case_id}/move"),
    ("post", "/api/v1/cases/{case_id}/deadlines/{deadline_id}/cancel"),
    ("get", "/api/v1/cases/{case_id}/notes"),
    ("post", "/api/v1/cases/{case_id}/notes"),
    ("patch", "/api/v1/cases/{case_id}/notes/{note_id}"),
    ("get", "/api/v1/cases/{case_id}/attachments"),
    ("post", "/api/v1/cases/{case_id}/attachments"),
    ("get", "/api/v1/attachments/{attachment_id}"),
    ("get", "/api/v1/cases/{case_id}/documents"),
    ("post", "/api/v1/cases/{case_id}/documents"),
    ("get", "/api/v1/documents/{document_id}"),
    ("post", "/api/v1/cases/{case_id}/messages/{name}"),
    ("get", "/api/v1/pathways"),
    ("post", "/api/v1/pathways"),
    ("get", "/api/v1/pathways/{key}/draft"),
    ("put", "/api/v1/pathways/{key}/draft"),
    ("post", "/api/v1/pathways/{key}/versions/{number}/draft"),
    ("get", "/api/v1/pathways/{key}/versions"),
    ("get", "/api/v1/pathways/{key}/versions/{number}/bpmn"),
    ("post", "/api/v1/pathways/{key}/draft/simulate"),
    ("post", "/api/v1/pathways/{key}/draft/test"),
    ("get", "/api/v1/pathways/{key}/draft/scenarios"),
    ("put", "/api/v1/pathways/{key}/draft/scenarios/{name}"),
    ("get", "/api/v1/pathways/{key}/diff"),
    ("post", "/api/v1/pathways/{key}/draft/deploy"),
    ("post", "/api/v1/pathways/check-expression"),
    ("get", "/api/v1/pathway-approvals"),
    ("get", "/api/v1/pathway-approvals/{approval_id}"),
    ("post", "/api/v1/pathway-approvals/{approval_id}"),
    ("get", "/api/v1/pathway-approvals/{approval_id}/bpmn"),
    ("get", "/api/v1/centres/{code}/dashboard"),
    ("get", "/api/v1/centres/{code}/occupancy"),
    ("get", "/api/v1/cases/export"),
    ("post", "/api/v1/pathways/{key}/migrations"),
    ("get", "/api/v1/migrations/{batch}"),
    ("post", "/api/v1/migrations/{batch}/approve"),
    ("post", "/api/v1/migrations/{batch}/run"),
    ("post", "/api/v1/migrations/{batch}/revert"),
    ("get", "/api/v1/forms"),
    ("get", "/api/v1/forms/{key}/draft"),
    ("put", "/api/v1/forms/{key}/draft"),
    ("get", "/api/v1/forms/{key}/preview"),
    ("post", "/api/v1/forms/{key}/preview"),
}


@pytest.fixture(scope="module")
def api_app():
    return fx.document_app()


@pytest.fixture(scope="module")
def document(api_app):
    response = api_app.test_client().get(f"{fx.API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def operations(document):
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_the_document_is_valid_openapi_3_0(document):
    assert document["openapi"] == "3.0.3"
    schemathesis.openapi.from_dict(document).validate()  # the OpenAPI 3.0 meta-schema


def test_it_lists_every_endpoint_and_every_api_route_is_in_it(document, api_app):
    assert set(operations(document)) == ENDPOINTS
    routes = {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in api_app.url_map.iter_rules()
        if rule.rule.startswith(fx.API) and not rule.rule.endswith("openapi.json")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == ENDPOINTS


def test_bearer_tokens_and_sessions_with_csrf_are_documented(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "a personal token from `casepath users token USERNAME`",
    }
    assert schemes["session"]["in"] == "cookie" and schemes["session"]["name"] == "casepath_session"
    assert {"bearerToken": []} in document["security"]
    assert "X-CSRFToken" in document["info"]["description"]


def test_every_operation_documents_its_errors_in_our_shape(document):
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"error", "message", "fields"}
    for (method, path), operation in operations(document).items():
        statuses = set(operation["responses"])
        assert "401" in statuses, (method, path)
        if method == "post" or path.endswith("}"):
            assert statuses & {"403", "404"}, (method, path)
    for name in ("UNAUTHORIZED", "UNPROCESSABLE_ENTITY", "NOT_FOUND", "CONFLICT"):
        response = document["components"]["responses"][name]
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_the_case_shows_its_cap_and_deadlines(document):
    case = document["components"]["schemas"]["Case"]
    assert {"cap_at", "deadlines", "centre", "current_tasks"} <= set(case["required"])
    deadline = document["components"]["schemas"]["Deadline"]
    assert set(deadline["properties"]) == {"kind", "due_at", "legal_source"}
    assert deadline["properties"]["due_at"]["format"] == "date-time"


def test_a_pathway_is_uploaded_as_a_file_or_as_xml(document):
    upload = operations(document)[("post", "/api/v1/pathways")]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data", "application/xml"}
    assert {"201", "403", "415", "422"} <= set(upload["responses"])

"""The form builder's JSON API: coordinators of either centre save drafts, managers read them, case
workers do neither; a draft comes back with its verdict; the preview is the task page's renderer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.config import Settings
from engine.store.models import AuditEvent, FormDraft
from tests.conftest import FIXTURES
from tests.web import api_fixtures as fx

api, api_app, tokens = fx.api, fx.api_app, fx.tokens
JSON = {"Content-Type": "application/json"}
REVIEW = json.loads((FIXTURES / "forms" / "review.json").read_text(encoding="utf-8"))


@pytest.fixture
def test_settings(tmp_path: Path) -> Settings:
    (tmp_path / "workflows").mkdir()
    (tmp_path / "workflows" / "forms").symlink_to(FIXTURES / "forms")
    return Settings(
        database_url="sqlite:///unused",
        secret_key="test-secret-key-for-casepath-web-tests",
        workflows_dir=tmp_path / "workflows",
        instance_dir=tmp_path,
    )


def put(api: fx.Api, key: str, body: object, role: str = "coordinator", own: bool = True):  # type: ignore[no-untyped-def]
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return api.call("PUT", f"/forms/{key}/draft", role, own, data=data, headers=JSON)


def with_field(**extra: object) -> dict[str, object]:
    schema = json.loads(json.dumps(REVIEW))
    schema["properties"].update(extra)
    return schema


COMMENT = {
    "type": "string",
    "title": "Коментар на прегледа",
    "x-title-en": "Review comment",
    "maxLength": 300,
}


def test_a_coordinator_saves_a_draft_and_sees_it_in_the_preview(api: fx.Api, services) -> None:  # type: ignore[no-untyped-def]
    response = put(api, "review", with_field(comment=COMMENT))
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"verdict": "valid", "problems": []}
    draft = api.get("/forms/review/draft", "manager", own=False).get_json()
    assert draft["source"] == "draft" and draft["author"] == "a-coordinator"
    assert list(draft["schema"]["properties"]) == ["goals_met", "progress", "comment"]  # the order kept
    preview = api.get("/forms/review/preview", "coordinator", own=False)
    assert preview.status_code == 200 and preview.mimetype == "text/html"
    html = preview.get_data(as_text=True)
    assert "Коментар на прегледа" in html and 'id="field-comment"' in html and "<html" not in html
    listed = {item["key"]: item for item in api.get("/forms", "coordinator").get_json()["items"]}
    assert listed["review"]["has_draft"] is True and listed["review"]["used_by"] == ["crisis_centre_adult"]
    with services.uow() as uow:
        assert "form.draft_save" in uow.session.scalars(select(AuditEvent.action)).all()


def test_without_a_draft_the_latest_version_is_shown(api: fx.Api) -> None:
    draft = api.get("/forms/review/draft", "coordinator").get_json()
    assert draft["source"] == "version" and draft["version"] == 1 and draft["author"] == ""
    assert "Целите са постигнати" in api.get("/forms/review/preview", "manager").get_data(as_text=True)
    assert api.get("/forms/no_such_form/draft", "coordinator").status_code == 404
    assert api.get("/forms/Not-A-Key/preview", "coordinator").status_code == 404


def test_an_invalid_draft_is_a_200_with_its_problems_in_the_readers_language(api: fx.Api) -> None:
    schema = with_field(Bad={"type": "integr"})
    del schema["properties"]["goals_met"]
    body = put(api, "review", schema).get_json()
    assert body["verdict"] == "invalid"
    codes = {(p["field"], p["code"], p["severity"]) for p in body["problems"]}
    assert {("Bad", "schema_invalid", "error"), ("Bad", "field_name_invalid", "error")} <= codes
    [in_use] = [p for p in body["problems"] if p["code"] == "field_in_use"]
    assert in_use["field"] == "goals_met"
    assert "goals" in in_use["message"] and "crisis_centre_adult" in in_use["message"]
    assert "не може" in in_use["message"]  # Bulgarian by default
    english = api.call(
        "PUT", "/forms/review/draft", "coordinator", data=json.dumps(schema).encode(),
        headers={**JSON, "Accept-Language": "en"},
    ).get_json()  # fmt: skip
    assert english["verdict"] == "invalid"


def test_malformed_bodies_are_refused_and_nothing_is_stored(api: fx.Api, services) -> None:  # type: ignore[no-untyped-def]
    assert put(api, "review", b"{not json").status_code == 400
    assert put(api, "review", b"[1, 2]").status_code == 422
    assert put(api, "review", b"{" + b" " * 300_000 + b"}").status_code == 413
    plain = api.call(
        "PUT", "/forms/review/draft", "coordinator", data=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert plain.status_code == 415
    with services.uow() as uow:
        assert uow.session.scalar(select(FormDraft)) is None


def test_the_live_preview_renders_without_storing(api: fx.Api, services) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        "/forms/review/preview", "coordinator", data=json.dumps(with_field(comment=COMMENT)), headers=JSON
    )
    assert response.status_code == 200 and "Коментар на прегледа" in response.get_data(as_text=True)
    broken = api.post(
        "/forms/review/preview",
        "coordinator",
        data=json.dumps({"type": "object", "properties": {"x": 1}}),
        headers=JSON,
    )
    assert broken.status_code == 422
    assert api.post("/forms/review/preview", "social_worker", data=b"{}", headers=JSON).status_code == 403
    with services.uow() as uow:
        assert uow.session.scalar(select(FormDraft)) is None


CASE_WORKERS = ("social_worker", "case_lead", "psychologist", "medical", "educator", "admin")


def test_case_workers_of_either_centre_neither_read_nor_edit_forms(api: fx.Api) -> None:
    for role in CASE_WORKERS:
        for own in (True, False):
            assert put(api, "review", with_field(comment=COMMENT), role, own).status_code == 403, (role, own)
            for path in ("/forms", "/forms/review/draft", "/forms/review/preview"):
                assert api.get(path, role, own).status_code == 403, (role, own, path)


def test_coordinators_of_either_centre_edit_and_managers_only_read(api: fx.Api) -> None:
    for own in (True, False):
        assert put(api, "review", with_field(comment=COMMENT), "coordinator", own).status_code == 200
        assert put(api, "review", with_field(comment=COMMENT), "manager", own).status_code == 403
        assert api.get("/forms/review/draft", "manager", own).status_code == 200
        assert api.get("/forms", "manager", own).status_code == 200
    assert api.get("/forms").status_code == 401

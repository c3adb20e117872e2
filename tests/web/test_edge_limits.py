"""Lengths and numbers at the edge: out-of-range input is a 4xx naming the field, never a 500.

``page=10^20`` and ``centre=10^20`` overflowed inside SQLite and PostgreSQL, a 5,000-digit integer
in a JSON body made the decoder raise, an hour of ``10^20`` overflowed ``datetime``, and a ``next``
carrying CR LF reached the ``Location`` header. The app runs without TESTING's exception
propagation here, so a 500 is seen as the user would see it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.errors import ValidationFailed
from engine.pathways.forms import MAX_NUMBER, FormCatalog
from tests.web import api_fixtures as fx
from tests.web.conftest import PASSWORD, username

api = fx.api
api_app = fx.api_app
tokens = fx.tokens

HUGE = str(10**20)
DIGITS_5000 = "9" * 5000
INJECTED = "/\r\nSet-Cookie: casepath_session=stolen"


@pytest.fixture(autouse=True)
def as_in_production(app, api_app):
    """Errors are handled as in production (TESTING re-raises them to the test instead)."""
    for each in (app, api_app):
        each.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/cases?page={HUGE}", "page"),
        (f"/cases?page={DIGITS_5000}", "page"),
        (f"/inbox?page={HUGE}", "page"),
        (f"/inbox?centre={HUGE}", "centre"),
        (f"/inbox?centre=-{DIGITS_5000}", "centre"),
        (f"/incidents?page={HUGE}", "page"),
        (f"/notifications?page={HUGE}", "page"),
    ],
)
def test_numbers_beyond_range_in_a_query_are_a_422_naming_the_parameter(as_role, path, field):
    response = as_role("manager").get(path)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"<strong>{field}</strong>" in page
    assert "Въведете цяло число до" in page


def test_numbers_within_range_still_page_and_filter(as_role, world):
    client = as_role("manager")
    assert client.get("/cases?page=2").status_code == 200
    assert client.get(f"/inbox?centre={world.own_centre_id}&page=abc").status_code == 200


def test_a_notification_id_beyond_range_is_not_found(as_role):
    assert as_role("manager").post(f"/notifications/{HUGE}/read").status_code == 404


@pytest.mark.parametrize("target", [INJECTED, "/inbox\nX: y", "/inbox\x7f", "/" + "a" * 3000])
def test_next_with_control_characters_falls_back_to_the_home_page(app, world, target):
    client = app.test_client()
    response = client.post(
        "/login", data={"username": username("social_worker"), "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/inbox"
    assert "stolen" not in str(response.headers)
    assert client.get("/login?next=" + target.replace("\r", "%0D").replace("\n", "%0A")).status_code == 302


def test_next_with_crlf_after_claiming_and_switching_language(as_role, world):
    client = as_role("social_worker")
    claimed = client.post(f"/tasks/{world.own_task}/claim", data={"next": INJECTED})
    assert (claimed.status_code, claimed.headers["Location"]) == (302, "/inbox")
    switched = client.post("/language", data={"locale": "en", "next": INJECTED})
    assert (switched.status_code, switched.headers["Location"]) == (302, "/")


def test_an_admission_hour_of_twenty_digits_is_a_field_error(as_role):
    response = as_role("social_worker").post(
        "/intake",
        data={
            "centre": "kc-test",
            "display_name": "Мария П.",
            "legal_basis": "referral",
            "target_group": "domestic_violence",
            "admitted_on": "2025-08-30",
            "admitted_time": f"{HUGE}:00",
        },
    )
    assert response.status_code == 422
    assert "Въведете час във вида ЧЧ:ММ." in response.get_data(as_text=True)


def test_a_5000_digit_integer_in_a_task_completion_is_a_field_error(api):
    body = '{"data": {"note": ' + DIGITS_5000 + "}}"
    response = api.post(
        f"/tasks/{api.world.own_task}/complete", "social_worker", data=body, content_type="application/json"
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "note" in response.get_json()["fields"]


@pytest.mark.parametrize("page", [DIGITS_5000, HUGE])
def test_a_5000_digit_page_in_a_json_body_or_query_is_a_field_error(api, page):
    response = api.get(f"/cases?page={page}", "manager")
    assert response.status_code == 422
    assert list(response.get_json()["fields"]) == ["page"]
    body = '{"centre": ' + page + "}"
    opened = api.post("/cases", "social_worker", data=body, content_type="application/json")
    assert opened.status_code == 422
    assert "centre" in opened.get_json()["fields"]


@pytest.fixture
def count_form(tmp_path: Path) -> FormCatalog:
    schema = {
        "type": "object",
        "properties": {
            "children": {"type": "integer", "title": "Деца"},
            "amount": {"type": "number", "title": "Сума"},
            "visits": {"type": "array", "items": {"type": "integer"}, "title": "Посещения"},
        },
        "additionalProperties": False,
    }
    (tmp_path / "count.json").write_text(json.dumps(schema), encoding="utf-8")
    return FormCatalog(tmp_path)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"children": 10**4000}, "children"),
        ({"children": -(MAX_NUMBER + 1)}, "children"),
        ({"amount": float("inf")}, "amount"),
        ({"amount": float("nan")}, "amount"),
        ({"amount": 1e300}, "amount"),
        ({"visits": [1, 10**30]}, "visits"),
    ],
)
def test_form_numbers_beyond_a_sane_range_are_field_errors(count_form, data, field):
    with pytest.raises(ValidationFailed) as raised:
        count_form.validate("count", data)
    assert raised.value.fields[field] == ["The value is too large."]


def test_form_numbers_within_range_are_accepted(count_form):
    data = {"children": MAX_NUMBER, "amount": -12.5, "visits": [0, 3]}
    assert count_form.validate("count", data) == data


def test_an_uploaded_task_name_longer_than_its_column_is_a_422_naming_the_task(api):
    from engine.pathways.limits import MAX_NAME
    from tests.engine.conftest import mini_pathway

    diagram = mini_pathway("api_long", replace={'"Initial assessment"': '"' + "я" * (MAX_NAME + 1) + '"'})
    response = api.post("/pathways", "coordinator", data=diagram, headers={"Content-Type": "application/xml"})
    assert response.status_code == 422
    assert response.get_json()["fields"]["assess"] == [f"the name is longer than {MAX_NAME} characters"]

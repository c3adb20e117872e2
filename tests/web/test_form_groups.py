"""Repeating groups in task forms ("Goal 1", "Goal 2" …): rendering, parsing, errors on a sub-field,
drafts, the completed plan on the case page, and the JSON API taking the same data."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from engine.errors import ValidationFailed
from engine.pathways import form_versions
from engine.pathways.forms import FormCatalog
from engine.people.permissions import SYSTEM
from engine.store.models import Case, CaseTask
from tests.conftest import FIXTURES
from tests.web import api_fixtures as fx
from tests.web.conftest import html_of
from web.forms_render import form_fields, parse_submission, shown_data

api, api_app, tokens = fx.api, fx.api_app, fx.tokens

PLAN = FormCatalog(FIXTURES / "forms")
GOAL = {"goal": "Жилище", "activities": "Среща с общината.\nДокументи.", "responsible": "Социален работник"}
SUBMITTED = {
    "f_goals-0-goal": "Жилище",
    "f_goals-0-activities": "Среща с общината.\r\nДокументи.",
    "f_goals-0-responsible": "Социален работник",
    "f_goals-0-start": "",
    "f_goals-1-goal": " ",
    "f_goals-1-responsible": "",  # an empty row: dropped
    "f_goals-2-goal": "Работа",
    "f_goals-2-responsible": "Психолог",
    "f_goals-2-until": "2025-10-31",
    "f_next_review_on": "2025-09-30",
}


def _use_plan_form(services, world) -> None:  # type: ignore[no-untyped-def]
    """The task is done with the plan form, which its case's pathway version is deployed with (a case
    reads only the forms of its own pathway version)."""
    with services.uow() as uow:
        uow.session.execute(
            update(CaseTask).where(CaseTask.public_id == world.own_task).values(form_key="plan")
        )
        version_id = uow.session.scalar(
            select(Case.pathway_version_id)
            .join(CaseTask, CaseTask.case_id == Case.id)
            .where(CaseTask.public_id == world.own_task)
        )
        form_versions.import_file(uow, "plan", services.forms, SYSTEM)
        form_versions.link(uow, version_id, {"plan": form_versions.latest_form_version(uow, "plan")})
        uow.commit()


def test_a_group_renders_its_items_plus_one_empty_row():
    form = PLAN.get("plan")
    (goals, review) = form_fields(form, {"goals": [GOAL]}, {}, "bg")
    assert goals.kind == "group" and goals.required and goals.item_title == "Цел"
    assert review.kind == "date"
    assert len(goals.rows) == 2
    first, empty = goals.rows
    assert [f.input_name for f in first] == [
        "f_goals-0-goal",
        "f_goals-0-activities",
        "f_goals-0-responsible",
        "f_goals-0-start",
        "f_goals-0-until",
    ]
    assert [f.kind for f in first] == ["text", "textarea", "text", "date", "date"]
    assert first[0].value == "Жилище" and first[0].required and first[0].input_id == "field-goals-0-goal"
    assert all(f.value == "" for f in empty) and not any(
        f.required for f in empty
    )  # the extra row is optional
    assert form_fields(form, {}, {}, "en")[0].rows[0][0].required  # at least one goal: the first row is
    assert len(form_fields(form, {"goals": [GOAL] * 3}, {}, "en")[0].rows) == 3  # maxItems: no empty row


def test_submitted_rows_become_items_and_empty_rows_are_dropped():
    parsed = parse_submission(PLAN.get("plan"), MultiDict(SUBMITTED))
    assert parsed == {
        "goals": [GOAL, {"goal": "Работа", "responsible": "Психолог", "until": "2025-10-31"}],
        "next_review_on": "2025-09-30",
    }
    assert parse_submission(PLAN.get("plan"), MultiDict({"f_goals-0-goal": ""})) == {}


def test_errors_of_a_sub_field_are_its_own():
    bad = {"goals": [{"goal": "Жилище", "until": "утре"}], "next_review_on": "2025-09-30"}
    with pytest.raises(ValidationFailed) as raised:
        PLAN.validate("plan", bad)
    assert raised.value.fields == {
        "goals/0/responsible": ["This field is required."],
        "goals/0/until": ["Invalid format."],
    }
    with pytest.raises(ValidationFailed) as raised:
        PLAN.validate("plan", {"goals": [], "next_review_on": "2025-09-30"})
    assert raised.value.fields == {"goals": ["Too few items."]}
    goals = form_fields(PLAN.get("plan"), {"goals": [{"goal": "x"}]}, {"goals/0/responsible": ["!"]}, "bg")[0]
    assert goals.rows[0][2].errors == ["!"] and not goals.errors


def test_the_task_page_shows_a_sub_fields_error_next_to_it(services, as_role, world):
    _use_plan_form(services, world)
    client = as_role("social_worker")
    html = html_of(client.get(f"/tasks/{world.own_task}"))
    assert '<legend>Цели <span class="required">(задължително)</span></legend>' in html
    assert "<legend>Цел 1</legend>" in html and 'name="f_goals-0-responsible"' in html
    response = client.post(
        f"/tasks/{world.own_task}/complete",
        data={"f_goals-0-goal": "Жилище", "f_next_review_on": "2025-09-30"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        '<input type="text" id="field-goals-0-responsible" name="f_goals-0-responsible" value=""'
        ' maxlength="200" aria-describedby="field-goals-0-responsible-help'
        ' field-goals-0-responsible-error" aria-invalid="true" aria-required="true">' in html
    )
    assert '<p class="field-error" id="field-goals-0-responsible-error">Полето е задължително.</p>' in html
    assert 'href="#field-goals-0-responsible-box">Цели, Цел 1, Отговорник: Полето е задължително.' in html
    assert 'value="Жилище"' in html and "<legend>Цел 2</legend>" in html  # kept, plus a row to add one


def test_a_draft_keeps_the_goals(services, as_role, world):
    _use_plan_form(services, world)
    client = as_role("social_worker")
    assert client.post(f"/tasks/{world.own_task}/draft", data=SUBMITTED).status_code == 302
    with services.uow() as uow:
        task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == world.own_task))
        assert task.draft["goals"][1] == {"goal": "Работа", "responsible": "Психолог", "until": "2025-10-31"}
    html = html_of(client.get(f"/tasks/{world.own_task}"))
    assert 'name="f_goals-1-goal" value="Работа"' in html and "<legend>Цел 3</legend>" in html


def test_the_case_page_shows_the_completed_plans_goals(services, as_role, world):
    _use_plan_form(services, world)
    client = as_role("social_worker")
    response = client.post(f"/tasks/{world.own_task}/complete", data=SUBMITTED)
    assert response.status_code == 302
    html = html_of(client.get(f"/cases/{world.own_case}"))
    assert '<dt>Цели</dt><dd class="form-data-group">' in html
    assert '<p class="group-item-title">Цел 2</p>' in html
    assert "<dt>Отговорник</dt><dd>Психолог</dd>" in html and "<dt>Срок</dt><dd>31.10.2025 г.</dd>" in html
    assert "{&#39;goal&#39;" not in html and "{'goal'" not in html  # not a raw dict
    task_html = html_of(client.get(f"/tasks/{world.own_task}"))
    assert "<dt>Дейности</dt><dd>Среща с общината.\nДокументи.</dd>" in task_html


def test_shown_data_reads_items_and_keeps_fields_of_an_older_form():
    shown = shown_data(PLAN.get("plan"), {"goals": [GOAL], "activities": "стар текст"}, "en", "yes", "no")
    assert [v.label for v in shown] == ["Goals", "activities"]
    assert [(v.label, v.text) for v in shown[0].rows[0]] == [
        ("Goal", "Жилище"),
        ("Activities", "Среща с общината.\nДокументи."),
        ("Responsible", "Социален работник"),
    ]
    assert shown[0].item_title == "Goal" and shown[1].text == "стар текст"


def test_the_api_completes_a_task_with_goals(api, services):
    _use_plan_form(services, api.world)
    data = {"goals": [GOAL], "next_review_on": "2025-09-30"}
    bad = api.post(
        f"/tasks/{api.world.own_task}/complete", "social_worker", json={"data": {**data, "goals": [{}]}}
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"goals/0/goal", "goals/0/responsible"}
    response = api.post(f"/tasks/{api.world.own_task}/complete", "social_worker", json={"data": data})
    assert response.status_code == 200, response.get_json()
    case = api.get(f"/cases/{api.world.own_case}", "social_worker").get_json()
    assert case["completed_forms"][0]["data"] == data


def test_a_date_answer_is_shown_as_every_other_date():
    """Form answers' dates read like the pages' dates (``show_date``): one way everywhere (issue 15 §4)."""
    goal = {**GOAL, "until": "2025-10-31"}
    for locale, expected in (("bg", "31.10.2025 г."), ("en", "Oct 31, 2025")):
        [goals] = shown_data(PLAN.get("plan"), {"goals": [goal]}, locale, "yes", "no")
        assert goals.rows[0][-1].text.replace("\u00a0", " ").replace("\u202f", " ") == expected
    [kept] = shown_data(PLAN.get("plan"), {"goals": [{**GOAL, "until": "not a date"}]}, "bg", "да", "не")
    assert kept.rows[0][-1].text == "not a date"

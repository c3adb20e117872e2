"""The task page: the form from its JSON Schema, field errors, drafts, completion, conflicts."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.pathways.forms import FormCatalog
from engine.people.permissions import SYSTEM
from engine.people.users import create_user
from engine.store.models import AuditEvent, CaseTask
from tests.conftest import WORKFLOWS
from tests.web.conftest import PASSWORD, html_of, login, username
from web.forms_render import form_fields, parse_submission


def test_form_is_rendered_with_labels_and_choices(as_role, world):
    html = html_of(as_role("social_worker").get(f"/tasks/{world.own_task}"))
    assert "<h1>Бележка</h1>" in html
    assert '<label for="field-note">Бележка <span class="required">(задължително)</span></label>' in html
    assert "<legend>Риск</legend>" in html
    assert 'value="high"' in html and "> Висок</label>" in html
    assert "ЗСУ чл. 77(3)" in html
    assert "Завърши задачата" in html and "Запази чернова" in html


def test_invalid_submission_shows_errors_next_to_fields_and_keeps_input(services, as_role, world):
    client = as_role("social_worker")
    response = client.post(f"/tasks/{world.own_task}/complete", data={"f_risk": "extreme"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" id="field-note-error">Полето е задължително.</p>' in html
    assert 'id="field-risk-error">Изберете една от възможностите.</p>' in html
    assert 'aria-invalid="true"' in html
    with services.uow() as uow:
        task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == world.own_task))
        assert task.status == "open" and task.data is None


def test_completing_shows_what_comes_next(services, as_role, world):
    client = as_role("social_worker")
    response = client.post(f"/tasks/{world.own_task}/complete", data={"f_note": "Среща.", "f_risk": "high"})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{world.own_task}"
    html = html_of(client.get(response.headers["Location"]))
    assert "Задачата е завършена." in html
    assert "Завършена от Служител social_worker на 31.08.2025 г., 10:00" in html
    assert "<dt>Риск</dt><dd>Висок</dd>" in html
    assert "Какво следва" in html and "пътеката чака срок или събитие" in html
    # an event the pathway now waits for brings the next task, which the page then lists
    client.post(f"/cases/{world.own_case}/signal", data={"signal": "risk_changed"})
    html = html_of(client.get(f"/tasks/{world.own_task}"))
    assert 'class="next-task">Re-assessment</a>' in html


def test_draft_is_saved_and_resumed_then_cleared(services, as_role, world):
    client = as_role("social_worker")
    response = client.post(f"/tasks/{world.own_task}/draft", data={"f_note": "Наполовина"})
    assert response.status_code == 302
    html = html_of(client.get(f"/tasks/{world.own_task}"))
    assert 'value="Наполовина"' in html and "запазената чернова" in html
    client.post(f"/tasks/{world.own_task}/complete", data={"f_note": "Готово", "f_risk": "low"})
    with services.uow() as uow:
        task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == world.own_task))
        assert task.draft is None and task.data == {"note": "Готово", "risk": "low"}
        actions = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.case_id == task.case_id).order_by(AuditEvent.id)
        ).all()
    assert "task.draft" in actions and actions.index("task.draft") < actions.index("task.complete")


def test_someone_else_completing_first_is_shown_and_nothing_is_lost(services, app, world):
    with services.uow() as uow:
        create_user(uow, SYSTEM, "a-social-2", PASSWORD, "kc-test", "social_worker", "Петя Колева")
        uow.commit()
    first, second = app.test_client(), app.test_client()
    login(first, username("social_worker"))
    login(second, "a-social-2")
    second.get(f"/tasks/{world.own_task}")
    first.post(f"/tasks/{world.own_task}/complete", data={"f_note": "Първа", "f_risk": "low"})
    late = second.post(
        f"/tasks/{world.own_task}/complete", data={"f_note": "Моят дълъг текст", "f_risk": "high"}
    )
    html = html_of(late)
    assert late.status_code == 409
    assert "Служител social_worker завърши задачата преди вас, на 31.08.2025 г., 10:00." in html
    assert "Моят дълъг текст" in html  # the late writer's input is on the page
    with services.uow() as uow:
        task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == world.own_task))
        assert task.data == {"note": "Първа", "risk": "low"}  # nothing overwritten


def test_other_roles_read_but_cannot_fill_in(as_role, world):
    client = as_role("psychologist")
    html = html_of(client.get(f"/tasks/{world.own_task}"))
    assert "Можете да я прочетете, но не и да я попълните." in html
    assert "Завърши задачата" not in html
    assert client.post(f"/tasks/{world.own_task}/complete", data={"f_note": "x"}).status_code == 403
    assert client.post(f"/tasks/{world.own_task}/draft", data={"f_note": "x"}).status_code == 403


def test_unknown_or_foreign_task_is_404(as_role, world):
    client = as_role("social_worker")
    assert client.get("/tasks/does-not-exist").status_code == 404
    assert client.post("/tasks/does-not-exist/complete", data={}).status_code == 404
    assert client.get(f"/tasks/{world.other_task}").status_code == 404
    assert client.post(f"/tasks/{world.other_task}/draft", data={"f_note": "x"}).status_code == 404


def test_reading_a_task_is_audited(services, as_role, world):
    as_role("psychologist").get(f"/tasks/{world.own_task}")
    with services.uow() as uow:
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.read"))
        assert event.actor == username("psychologist") and event.ip == "127.0.0.1"
        assert event.detail == {"view": "task", "task": world.own_task}


SHIPPED = FormCatalog(WORKFLOWS / "forms")


def test_forms_are_shipped():
    assert len(SHIPPED.keys()) >= 10  # so the test below cannot pass by having nothing to check


@pytest.mark.parametrize("key", SHIPPED.keys())
def test_every_shipped_form_renders_and_its_defaults_round_trip(key):
    form = SHIPPED.get(key)
    defaults = form.defaults()
    for locale in ("bg", "en"):
        fields = form_fields(form, defaults, {}, locale)
        assert [f.name for f in fields] == list(form.schema["properties"])
        assert all(f.label and f.kind for f in fields)
        assert all(f.label != f.name for f in fields), "every field has a title"
    submitted = MultiDict()
    for field in (leaf for f in form_fields(form, defaults, {}, "bg") for leaf in f.leaves):
        values = field.value if isinstance(field.value, list) else [field.value]
        for value in values:
            if value != "":
                submitted.add(field.input_name, value)
    parsed = parse_submission(form, submitted)
    assert parsed == {k: v for k, v in defaults.items() if v not in ("", [], None)}
    if set(form.schema.get("required", [])) <= set(parsed):
        SHIPPED.validate(key, parsed)


def test_parse_leaves_bad_numbers_for_the_validator(fixture_forms):
    from engine.pathways.forms import Form

    form = Form(
        "t",
        {
            "type": "object",
            "properties": {
                "n": {"type": "integer", "title": "N"},
                "x": {"type": "number", "title": "X"},
                "d": {"type": "string", "format": "date", "title": "D"},
                "items": {"type": "array", "items": {"type": "string"}, "title": "I"},
                "yes": {"type": "boolean", "title": "Y"},
            },
        },
    )
    parsed = parse_submission(
        form, MultiDict({"f_n": "12a", "f_x": "1,5", "f_d": "", "f_items": "a\n\n b \r\nc", "f_yes": "false"})
    )
    assert parsed == {"n": "12a", "x": 1.5, "items": ["a", "b", "c"], "yes": False}


def test_a_centre_field_offers_the_crisis_centres_by_code_and_name_only():
    from web.forms_render import Choice, choice_lists_of

    form = SHIPPED.get("violence_handover")
    assert choice_lists_of(form) == {"crisis_centres"}
    offered = [Choice("kc-deca", "КЦ за деца (kc-deca)"), Choice("kc-test", "КЦ Тест (kc-test)")]
    fields = {
        f.name: f
        for f in form_fields(form, {"child_centre": "kc-deca"}, {}, "bg", {"crisis_centres": offered})
    }
    centre = fields["child_centre"]
    assert (centre.kind, centre.choices, centre.value) == ("select", offered, "kc-deca")
    assert fields["child_name"].kind == "text"  # other fields are left as they are
    without = {f.name: f for f in form_fields(form, {}, {}, "bg")}
    assert without["child_centre"].kind == "text"  # no list given: the code is typed


def test_the_centres_a_form_offers_are_codes_and_names_of_their_kind(services, world):
    from engine.people.centres import centres_of_kind

    with services.uow() as uow:
        assert centres_of_kind(uow, "crisis_centre") == [("kc-other", "КЦ Друг"), ("kc-test", "КЦ Тест")]
        assert centres_of_kind(uow, "community_support") == []

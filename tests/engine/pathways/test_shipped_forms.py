"""The shipped forms a social worker fills in: the fields the issue names, their defaults and rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.errors import ValidationFailed
from engine.pathways.forms import FormCatalog

ROOT = Path(__file__).resolve().parents[3]
FORMS = FormCatalog(ROOT / "workflows" / "forms")
RISK_FORMS = ("initial_risk_assessment", "risk_reassessment")


def errors_of(key: str, data: dict[str, Any]) -> dict[str, list[str]]:
    try:
        FORMS.validate(key, data)
    except ValidationFailed as error:
        return error.fields
    return {}


@pytest.mark.parametrize("key", RISK_FORMS)
def test_risk_forms_have_factors_perpetrator_and_children(key):
    form = FORMS.get(key)
    properties = form.schema["properties"]
    factors = properties["risk_factors"]
    assert factors["type"] == "array" and factors["uniqueItems"] is True
    assert {"physical_violence", "threats_to_kill", "child_at_risk"} <= {
        option["const"] for option in factors["items"]["oneOf"]
    }
    for name in ("perpetrator_name", "perpetrator_relation"):
        assert properties[name]["x-confidential"] is True
        assert "never" in properties[name]["x-description-en"]
    assert errors_of(key, form.defaults()) == {}
    defaults = form.defaults()
    assert defaults["children_present"] is False and defaults["risk_factors"] == []
    assert "perpetrator_name" not in defaults  # nobody's name is made up by a simulation


@pytest.mark.parametrize("key", RISK_FORMS)
def test_children_present_needs_how_many(key):
    base = FORMS.get(key).defaults()
    assert set(errors_of(key, {**base, "children_present": True})) == {"children_count"}
    assert set(errors_of(key, {**base, "children_present": True, "children_count": 0})) == {"children_count"}
    assert errors_of(key, {**base, "children_present": True, "children_count": 2}) == {}


def test_risk_factors_are_choices_without_repeats():
    key = "initial_risk_assessment"
    base = FORMS.get(key).defaults()
    good = {**base, "risk_factors": ["physical_violence", "weapon"], "perpetrator_relation": "former_partner"}
    assert errors_of(key, good) == {}
    assert set(errors_of(key, {**base, "risk_factors": ["weather"]})) == {"risk_factors"}
    assert set(errors_of(key, {**base, "risk_factors": ["weapon", "weapon"]})) == {"risk_factors"}


def test_last_violence_date_stays_for_the_dv_window():
    spec = FORMS.get("initial_risk_assessment").schema["properties"]["last_violence_on"]
    assert spec["format"] == "date" and "default" in spec


def test_plan_review_keeps_the_note_its_recipient_and_number():
    form = FORMS.get("plan_review")
    properties = form.schema["properties"]
    assert "progress_note_sent" not in properties  # the note itself, not a tick box
    assert properties["progress_note"]["x-widget"] == "textarea"
    assert properties["progress_note_number"]["type"] == "string"
    assert form.defaults()["progress_note_recipient"] == "dsp_lead"
    assert "goals_met" in form.schema["required"]  # the gateways read it
    assert errors_of("plan_review", form.defaults()) == {}
    sent = {**form.defaults(), "progress_note": "Напредък.", "progress_note_number": "изх. № 12/03.10.2025"}
    assert errors_of("plan_review", sent) == {}
    assert set(errors_of("plan_review", {**sent, "progress_note_recipient": "mayor"})) == {
        "progress_note_recipient"
    }


@pytest.mark.parametrize("key", ("child_handover", "cop_intake"))
def test_child_intakes_take_consent_declarations_and_the_safety_lists(key):
    form = FORMS.get(key)
    properties, adult = form.schema["properties"], FORMS.get("admission").schema["properties"]
    for name in ("consent_given", "personal_data_declaration", "confidentiality_declaration"):
        assert name in form.schema["required"] and properties[name] == adult[name]
    for name in ("do_not_disclose", "safe_contact"):
        assert properties[name] == adult[name]
    assert "ЗЗЛД чл. 25в" in properties["parental_consent"]["description"]
    assert form.defaults()["parental_consent"] == "given"
    assert errors_of(key, form.defaults()) == {}
    missing = {k: v for k, v in form.defaults().items() if k != "parental_consent"}
    assert set(errors_of(key, missing)) == {"parental_consent"}

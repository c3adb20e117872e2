"""Intake: open a case from a referral, an order, police protection or an urgent arrival."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.casework import family
from engine.casework.cases import LEGAL_BASES, TARGET_GROUPS, Intake, validate_intake
from engine.casework.intake import (
    admit,
    find_waiting,
    intake_centres,
    put_on_waiting_list,
    record_turn_away,
)
from engine.clock import SOFIA
from engine.errors import ValidationFailed
from engine.people.places import TURN_AWAY_REASONS
from web.db import current_services, discard_changes, request_uow
from web.security import current_principal, require_sign_in

bp = Blueprint("intake", __name__)
bp.before_request(require_sign_in)

EARLIEST = date(1900, 1, 1)
FIELDS = (
    "centre",
    "display_name",
    "birth_date",
    "legal_basis",
    "target_group",
    "referral_number",
    "referral_date",
    "dsp_lead_name",
    "dsp_lead_contact",
    "admitted_on",
    "admitted_time",
    "sex",
    "with_case",
    "waiting",
)
SEXES = {"female": _l("woman or girl"), "male": _l("man or boy")}
CHILD_ROWS = 4  # rows for children admitted with the person; the engine takes up to family.MAX_CHILDREN
CHILD_FIELDS = ("display_name", "birth_date", "sex")


# The engine's messages for intake fields, in the reader's language.
ENGINE_MESSAGES = {
    "required, at most 200 characters": _l("Required, at most 200 characters."),
    "a referral or an order needs its document number": _l(
        "A referral or an order needs its document number."
    ),
    "at most 80 characters": _l("At most 80 characters."),
    "the centre is full: confirm to admit over capacity": _l(
        "The centre has no free places. Tick the box below to admit the person over capacity."
    ),
    "no free place fits: confirm to admit over capacity": _l(
        "No free place fits this person (adults or children, women only, the family's room). Put the "
        "person on the waiting list, or tick the box below to admit them over capacity."
    ),
    "no resident of this centre has that number": _l("No resident of this centre has that case number."),
    "not on this centre's waiting list": _l("This person is no longer on the centre's waiting list."),
    family.CHILD_BORN: _l("A child's date of birth: under 18 on the day of admission."),
    family.CHILD_SEX: _l("Choose one of the options."),
    family.FULL_FOR_FAMILY: _l(
        "The centre has too few free places for the whole family. Tick the box below to admit them over "
        "capacity."
    ),
    family.NO_FAMILY_ROOM: _l(
        "No room has free places for the mother and all her children together. Put the family on the "
        "waiting list, or tick the box below to admit them over capacity (without places)."
    ),
    "children are admitted with the person: leave this empty": _l(
        "Children admitted with the person get places in her room: leave this field empty."
    ),
}


def _translated(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        name: [
            str(
                ENGINE_MESSAGES.get(
                    message, message if message.endswith(".") else _l("Choose one of the options.")
                )
            )
            for message in messages
        ]
        for name, messages in errors.items()
    }


def _render(values: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    centres = intake_centres(request_uow(), current_principal())
    page = render_template(
        "intake.html",
        centres=centres,
        legal_bases=LEGAL_BASES,
        target_groups=TARGET_GROUPS,
        sexes=SEXES,
        reasons=TURN_AWAY_REASONS,
        child_rows=range(1, CHILD_ROWS + 1),
        family_open=any(name.startswith("children") for name in errors)
        or any(values.get(name) for name in _child_names()),
        values=values,
        errors=_translated(errors),
    )
    return page, status


@bp.get("/intake")
def new() -> Any:
    today = current_services().clock.now().astimezone(SOFIA)
    values = {"admitted_on": today.date().isoformat(), "admitted_time": today.strftime("%H:%M")}
    centres = intake_centres(request_uow(), current_principal())
    if len(centres) == 1:
        values["centre"] = centres[0].code
    found = find_waiting(request_uow(), current_principal(), request.args.get("waiting", ""))
    if found is not None:  # admitting a person from the waiting list: what is known is filled in
        entry, values["centre"] = found
        values.update(
            waiting=entry.public_id,
            display_name=entry.display_name,
            target_group=entry.target_group,
            sex=entry.sex,
            birth_date=entry.birth_date.isoformat() if entry.birth_date else "",
        )
    return _render(values, {})


def _date(values: dict[str, str], name: str, errors: dict[str, list[str]]) -> date | None:
    raw = values.get(name, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    if day < EARLIEST:
        errors[name] = [_("Enter a date after 1900.")]
        return None
    return day


def _admitted_at(values: dict[str, str], errors: dict[str, list[str]]) -> datetime | None:
    day = _date(values, "admitted_on", errors)
    if day is None:
        return None
    try:
        hour, minute = (int(part) for part in (values.get("admitted_time") or "00:00").split(":")[:2])
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SOFIA)
    except (ValueError, OverflowError):  # "99999999999999999999:00" overflows before it is out of range
        errors["admitted_time"] = [_("Enter a time as HH:MM.")]
        return None


def _intake(values: dict[str, str]) -> Intake:
    errors: dict[str, list[str]] = {}
    birth_date = _date(values, "birth_date", errors)
    referral_date = _date(values, "referral_date", errors)
    admitted_at = _admitted_at(values, errors)
    now = current_services().clock.now()
    if admitted_at is not None and admitted_at > now:
        errors["admitted_on"] = [_("The admission cannot be in the future.")]
    if birth_date is not None and birth_date > now.date():
        errors["birth_date"] = [_("The birth date cannot be in the future.")]
    intake = Intake(
        centre_code=values.get("centre", ""),
        display_name=values.get("display_name", ""),
        legal_basis=values.get("legal_basis", ""),
        target_group=values.get("target_group", ""),
        birth_date=birth_date,
        referral_number=values.get("referral_number", ""),
        referral_date=referral_date,
        admitted_at=admitted_at,
        extra=_lead_social_worker(values, errors),
        sex=values.get("sex", "") if values.get("sex", "") in SEXES else "",
    )
    try:
        validate_intake(intake)  # so every field's problem is shown at once, not one kind at a time
    except ValidationFailed as error:
        errors = {**error.fields, **errors}
    if errors:
        raise ValidationFailed("the intake has errors", errors)
    return intake


def _lead_social_worker(values: dict[str, str], errors: dict[str, list[str]]) -> dict[str, str]:
    """The ДСП lead social worker (ЗСУ чл. 84(3)), if known: start data the pathway and its reviews use."""
    extra = {}
    for name in ("dsp_lead_name", "dsp_lead_contact"):
        text = " ".join(values.get(name, "").split())
        if len(text) > 200:
            errors[name] = [_("At most 200 characters.")]
        elif text:
            extra[name] = text
    return extra


@bp.post("/intake")
def create() -> Any:
    """Admit the person (a case on a free place), put them on the waiting list, or record that the
    centre turned them away (``outcome``: admit, wait, turn_away)."""
    values = {name: request.form.get(name, "")[:500] for name in FIELDS}
    for name in _child_names():
        values[name] = request.form.get(name, "")[:500]
    outcome = request.form.get("outcome", "admit")
    try:
        if outcome == "turn_away":
            return _turn_away(values)
        if outcome == "wait":
            put_on_waiting_list(request_uow(), current_principal(), _intake(values))
            flash(_("%(name)s is on the waiting list.", name=values["display_name"].strip()), "success")
            return redirect(url_for("intake.new"))
        over_capacity = request.form.get("over_capacity") == "yes"
        children, intake = _children_and_intake(values)
        if children:
            case, kids = family.admit_family(
                request_uow(), current_principal(), intake, children, over_capacity, values["waiting"]
            )
        else:
            case, kids = (
                admit(
                    request_uow(),
                    current_principal(),
                    intake,
                    over_capacity,
                    values["with_case"],
                    values["waiting"],
                ),
                [],
            )
    except ValidationFailed as error:
        discard_changes()
        return _render(values, error.fields, 422)
    if kids:
        numbers = ", ".join(kid.number for kid in kids)
        flash(
            _("The cases %(number)s and %(children)s are open.", number=case.number, children=numbers),
            "success",
        )
    else:
        flash(_("The case %(number)s is open.", number=case.number), "success")
    return redirect(url_for("cases.show", case_id=case.public_id))


def _children_and_intake(values: dict[str, str]) -> tuple[list[family.Child], Intake]:
    """Both read at once, so the person's and the children's problems are shown together."""
    errors: dict[str, list[str]] = {}
    children: list[family.Child] = []
    try:
        children = _children(values)
    except ValidationFailed as error:
        errors = dict(error.fields)
    try:
        intake = _intake(values)
    except ValidationFailed as error:
        raise ValidationFailed("the intake has errors", {**error.fields, **errors}) from error
    if errors:
        raise ValidationFailed("the children have errors", errors)
    return children, intake


def _child_names() -> list[str]:
    return [f"children-{row}-{name}" for row in range(1, CHILD_ROWS + 1) for name in CHILD_FIELDS]


def _children(values: dict[str, str]) -> list[family.Child]:
    """The rows of children admitted with the person (empty rows skipped); a bad date is named."""
    errors: dict[str, list[str]] = {}
    children = []
    for row in range(1, CHILD_ROWS + 1):
        name, sex = values[f"children-{row}-display_name"], values[f"children-{row}-sex"]
        if not (name.strip() or values[f"children-{row}-birth_date"].strip() or sex):
            continue
        born = _date(values, f"children-{row}-birth_date", errors)
        children.append(family.Child(name, born, sex if sex in SEXES or not sex else "other"))
    if children and values.get("with_case", "").strip():
        errors["with_case"] = ["children are admitted with the person: leave this empty"]
    if errors:
        raise ValidationFailed("the children have errors", errors)
    return children


def _turn_away(values: dict[str, str]) -> Any:
    reason = request.form.get("reason", "")
    if reason not in TURN_AWAY_REASONS:
        raise ValidationFailed(
            "choose a reason", {"reason": [_("Choose why the centre cannot take the person.")]}
        )
    group = values.get("target_group", "")
    record_turn_away(
        request_uow(), current_principal(), values["centre"], reason, group if group in TARGET_GROUPS else ""
    )
    flash(_("The turn-away is recorded."), "success")
    return redirect(url_for("intake.new"))

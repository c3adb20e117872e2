"""What is known when a person arrives (the intake), and its checks: shared by the front desk, the API
and the operations that open a case from another (engine/casework/case_links.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.clock import SOFIA
from engine.errors import ValidationFailed
from engine.people.places import age_on as age_on

LEGAL_BASES = (
    "referral", "order", "police", "court", "urgent", "trafficking_referral", "walk_in",
    "municipality_referral", "self_request", "handover",
)  # fmt: skip
ORDERS = frozenset({"order", "court"})  # a placement decided by an order or a court: its date is order_date
LEAD_FIELDS = ("dsp_lead_name", "dsp_lead_contact")
TARGET_GROUPS = ("domestic_violence", "trafficking", "exploitation", "child_at_risk", "other")


@dataclass(frozen=True)
class Intake:
    """What is known when a person arrives: the fields DOMAIN.md names for entry."""

    centre_code: str
    display_name: str
    legal_basis: str
    target_group: str
    birth_date: date | None = None
    referral_number: str = ""
    referral_date: date | None = None
    admitted_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    sex: str = ""  # female | male | "" (not said): women-only places need it


def validate_intake(intake: Intake) -> None:
    fields: dict[str, list[str]] = {}
    if not intake.display_name.strip() or len(intake.display_name) > 200:
        fields["display_name"] = ["required, at most 200 characters"]
    if intake.legal_basis not in LEGAL_BASES:
        fields["legal_basis"] = [f"one of {', '.join(LEGAL_BASES)}"]
    if intake.target_group not in TARGET_GROUPS:
        fields["target_group"] = [f"one of {', '.join(TARGET_GROUPS)}"]
    if intake.legal_basis in {"referral", "order"} and not intake.referral_number.strip():
        fields["referral_number"] = ["a referral or an order needs its document number"]
    if len(intake.referral_number) > 80:
        fields["referral_number"] = ["at most 80 characters"]
    for name in LEAD_FIELDS:  # the ДСП lead social worker (ЗСУ чл. 84(3)), when known
        if len(str(intake.extra.get(name) or "")) > 200:
            fields[name] = ["at most 200 characters"]
    if fields:
        raise ValidationFailed("the intake has errors", fields)


NOT_RECORDED = "not_recorded"
# Age at admission in whole years, in the bands children's and adults' services are planned by: the
# statistics count by them, and a pseudonymised case keeps its band when its birth date goes.
AGE_BANDS = (
    ("0-6", 7), ("7-13", 14), ("14-17", 18), ("18-29", 30), ("30-49", 50), ("50-64", 65), ("65+", None),
)  # fmt: skip
AGE_BAND_CODES = (*(band for band, _ in AGE_BANDS), NOT_RECORDED)


def age_band(age: int | None) -> str:
    if age is None:
        return NOT_RECORDED
    for band, below in AGE_BANDS:
        if below is None or age < below:
            return band
    return AGE_BANDS[-1][0]


def band_at_admission(birth_date: date | None, admitted_at: datetime) -> str:
    """The age band on the day of admission (Sofia)."""
    return age_band(age_on(birth_date, admitted_at.astimezone(SOFIA).date()))

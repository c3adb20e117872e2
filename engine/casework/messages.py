"""Messages to a case: "the court decision arrived", with its data, delivered by a role the pathway names.

A receive task or a message catch event waits for a message by its name (``bpmn:message/@name``). The
element that waits says who may deliver it (``delivered_by``), the form whose JSON Schema its data must
fit (``payload_form``) and its names (the element's name, ``name_en``). Delivery goes through the case
lock like a signal, is audited, and moves the case on; a message nothing waits for is refused with the
reason (409), never dropped; data that does not fit the form is refused naming the field (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from engine.audit.chain import record
from engine.bpmn import events, spiff
from engine.casework.cases import drive, get_case, load_workflow, lock_case
from engine.errors import ConcurrencyConflict, NotFound, PermissionDenied, ValidationFailed
from engine.pathways.form_versions import forms_of_case
from engine.pathways.forms import FormCatalog
from engine.people.permissions import Principal, can_deliver_message
from engine.people.roles import resolve_roles
from engine.store.models import Case
from engine.store.uow import UnitOfWork

MAX_PAYLOAD_FIELDS = 200


class MessageRejected(ValidationFailed):
    """The message's data are not what the pathway declares (HTTP 400 naming the field)."""

    code = "message_invalid"


@dataclass(frozen=True)
class Awaited:
    """A message the case waits for now, as the case page offers it: who may deliver it, with what form."""

    name: str
    label: str
    label_en: str
    element_id: str
    roles: tuple[str, ...]
    form_key: str


def awaited_messages(uow: UnitOfWork, case: Case) -> list[Awaited]:
    """The messages the case waits for now (one per name), for the case page and the refusal's reason."""
    if case.status != "open" or not case.workflow_state:
        return []
    return _awaited(load_workflow(uow, case))


def _awaited(workflow: spiff.Workflow) -> list[Awaited]:
    found: dict[str, Awaited] = {}
    for item in events.waiting_messages(workflow):
        roles = tuple(resolve_roles(item.properties.delivered_by))
        found.setdefault(
            item.name,
            Awaited(
                item.name,
                item.label,
                item.properties.name_en,
                item.element_id,
                roles,
                item.properties.payload_form,
            ),
        )
    return list(found.values())


def messages_for(uow: UnitOfWork, who: Principal, case_public_id: str) -> list[Awaited]:
    """The messages the case waits for now that ``who`` may deliver (for the case page's forms)."""
    case = get_case(uow, who, case_public_id)
    return [item for item in awaited_messages(uow, case) if can_deliver_message(who, case, item.roles)]


def forms_for_case(uow: UnitOfWork, who: Principal, case_public_id: str, files: FormCatalog) -> FormCatalog:
    """The forms the case's pathway version was deployed with (its message forms among them)."""
    return forms_of_case(uow, get_case(uow, who, case_public_id), files)


def find_case(uow: UnitOfWork, reference: str) -> str:
    """The public id of a case named by its number (KC-2026-0001) or its public id (the command line)."""
    public_id = uow.session.scalar(
        select(Case.public_id).where(or_(Case.number == reference, Case.public_id == reference))
    )
    if public_id is None:
        raise NotFound(f"case '{reference[:80]}' does not exist")
    return str(public_id)


def deliver_message(
    uow: UnitOfWork,
    who: Principal,
    case_public_id: str,
    name: str,
    data: Any,
    forms: FormCatalog,
) -> Case:
    """Deliver message ``name`` with ``data`` to the case; nothing is stored on any refusal."""
    if who.user_id is None:  # the operator at the server (the command line without --as)
        case = uow.session.scalar(select(Case).where(Case.public_id == case_public_id))
        if case is None:
            raise NotFound("case not found")
    else:
        case = get_case(uow, who, case_public_id)  # another centre's case does not exist (404)
    case = lock_case(uow, case.id)
    if case.status != "open":
        raise ConcurrencyConflict(f"the case is {case.status}: it waits for no message")
    workflow = load_workflow(uow, case)
    awaited = {item.name: item for item in _awaited(workflow)}
    item = awaited.get(name)
    if item is None:
        waiting = ", ".join(sorted(awaited)) or "none"
        raise ConcurrencyConflict(
            f"nothing in the case waits for the message '{name[:80]}' now (it waits for: {waiting})"
        )
    if who.user_id is not None and not can_deliver_message(who, case, item.roles):
        raise PermissionDenied(f"the message '{name}' is delivered by: {', '.join(item.roles) or 'nobody'}")
    clean = _payload(item, data, forms_of_case(uow, case, forms))

    def step() -> spiff.Workflow:
        if not spiff.deliver_message(workflow, name, clean):
            raise ConcurrencyConflict(f"nothing in the case waits for the message '{name}' now")
        return workflow

    drive(uow, case, step)
    record(
        uow.session,
        uow.clock.now(),
        who,
        "case.message",
        case_id=case.id,
        subject=name,
        detail={"element": item.element_id, "fields": sorted(clean)},
    )
    return case


def _payload(item: Awaited, data: Any, forms: FormCatalog) -> dict[str, Any]:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MessageRejected("the message's data must be a JSON object", {"data": ["must be a JSON object"]})
    if not item.form_key:
        if data:
            fields = {
                str(key)[:80]: ["this message carries no data"] for key in list(data)[:MAX_PAYLOAD_FIELDS]
            }
            raise MessageRejected("the message carries no data", fields)
        return {}
    try:
        return forms.validate(item.form_key, data)
    except ValidationFailed as error:
        raise MessageRejected(error.message, error.fields) from error

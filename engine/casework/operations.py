"""The Casepath operations a service task may call (the closed list of engine/bpmn/operations.py).

:class:`CaseOperations` is bound for every run of a case's workflow (``cases.drive``): a service task
the run reaches calls :meth:`CaseOperations.run` in the case's own transaction. Every operation is a
system action written to the case's audit; what it tells people carries the case number and the
task's name from the diagram, never a value from the case. An operation that cannot be done raises
OperationFailed with a value-free problem code, and the case parks as an incident at the task.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.audit.chain import record
from engine.bpmn.operations import (
    NOTIFY_OUTSIDE_BODY,
    NOTIFY_ROLE,
    OPEN_LINKED_CASE,
    OUTSIDE_BODIES,
    OperationCall,
    OperationFailed,
)
from engine.bpmn.properties import service_properties
from engine.casework.case_links import Opener, open_linked_case
from engine.notify.messages import CASE_OPERATION, OUTSIDE_NOTICE
from engine.notify.notifications import notify_roles
from engine.people.permissions import SYSTEM
from engine.people.roles import resolve_role
from engine.store.models import Case
from engine.store.uow import UnitOfWork

# Who is told to send a notice to an outside body: the centre's managers and case leads.
NOTICE_SENDERS = ("manager", "case_lead")
BODY_NAMES = {
    "dsp": ("ДСП", "ДСП (social assistance directorate)"),
    "ozd": ("ОЗД", "ОЗД (child protection department)"),
    "police": ("полицията", "the police"),
    "coordination_mechanism": ("Координационния механизъм", "the Coordination Mechanism"),
    "prosecutor": ("прокуратурата", "the prosecutor"),
}


class CaseOperations:
    """Carries out a case's service tasks in the caller's unit of work."""

    def __init__(self, uow: UnitOfWork, case: Case, opener: Opener) -> None:
        self.uow, self.case, self.opener = uow, case, opener

    def run(self, call: OperationCall) -> Mapping[str, Any]:
        if call.operation == OPEN_LINKED_CASE:
            child = open_linked_case(self.uow, self.case, call, self.opener)
            return {"case_number": child.number, "centre": child.centre.code}
        if call.operation == NOTIFY_ROLE:
            return self._notify_role(call)
        if call.operation == NOTIFY_OUTSIDE_BODY:
            return self._notify_outside_body(call)
        raise OperationFailed("unknown_operation", call.operation)

    def _notify_role(self, call: OperationCall) -> Mapping[str, Any]:
        props = service_properties(call.properties)
        roles = [code for name in props.notify if (code := resolve_role(name)) is not None]
        if not roles:
            raise OperationFailed("operation_input", "notify names no role")
        params = {"number": self.case.number, "step": call.name, "step_en": props.name_en}
        sent = notify_roles(self.uow, self.case, roles, CASE_OPERATION, params)
        self._audit(call, {"roles": roles, "told": len(sent)})
        return {"told": len(sent)}

    def _notify_outside_body(self, call: OperationCall) -> Mapping[str, Any]:
        body = service_properties(call.properties).outside_body
        if body not in OUTSIDE_BODIES:
            raise OperationFailed("operation_input", "outside_body is not known")
        bg, en = BODY_NAMES[body]
        params = {"number": self.case.number, "body": bg, "body_en": en}
        sent = notify_roles(self.uow, self.case, NOTICE_SENDERS, OUTSIDE_NOTICE, params)
        self._audit(call, {"body": body, "told": len(sent)}, OUTSIDE_NOTICE)
        return {"body": body}

    def _audit(self, call: OperationCall, detail: dict[str, Any], action: str = CASE_OPERATION) -> None:
        record(
            self.uow.session,
            self.uow.clock.now(),
            SYSTEM,
            action,
            case_id=self.case.id,
            subject=call.name[:200],
            detail={"operation": call.operation, "element": call.element_id, **detail},
        )

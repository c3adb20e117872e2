"""The BPMN constructs beyond plain tasks and gateways (issue 11), each with the test that proves it runs.

One declaration: the docs' construct table (docs/pathway-authoring.md), the bench line
``bpmn_constructs_supported`` (bench/constructs_bench.py) and the project test read it. A construct is
proved by its end-to-end test file ``tests/constructs/test_<code>.py`` (open a case on SQLite and
PostgreSQL, run it through the real services, close it). Until that file exists and passes, the
construct is declared ``refused`` with the reason the lint gives coordinators.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_YET = "not yet run by Casepath: the lint reports it as not executable"


@dataclass(frozen=True)
class Construct:
    """One construct: its code, what coordinators call it, the BPMN it covers, and its proof."""

    code: str
    label: str
    elements: str  # the BPMN elements or markers, as the docs name them
    refused: str = ""  # why Casepath does not run it (yet); empty when it is supported

    @property
    def test_file(self) -> str:
        return f"tests/constructs/test_{self.code}.py"

    @property
    def supported(self) -> bool:
        return not self.refused


CONSTRUCTS: tuple[Construct, ...] = (
    Construct("call_activity", "Call activities", "`callActivity`"),
    Construct(
        "multi_instance",
        "Multi-instance (parallel and sequential)",
        "`multiInstanceLoopCharacteristics`",
    ),
    Construct("standard_loop", "Standard loops", "`standardLoopCharacteristics`"),
    Construct("event_subprocess", "Event sub-processes", '`subProcess triggeredByEvent="true"`'),
    Construct("message", "Messages with payload and correlation", "`messageEventDefinition`, `receiveTask`"),
    Construct("send_task", "Send tasks and message throw events", "`sendTask`"),
    Construct("error", "Error events", "`errorEventDefinition`"),
    Construct("escalation", "Escalation events", "`escalationEventDefinition`"),
    Construct("conditional", "Conditional events", "`conditionalEventDefinition`"),
    Construct("business_rule_dmn", "Business rule tasks with DMN 1.3 decisions", "`businessRuleTask`"),
    Construct("timer_start", "Timer start events", "`startEvent` with `timerEventDefinition`"),
    Construct(
        "event_based_gateway_timer",
        "Timers (and messages, conditions) behind an event-based gateway",
        "`eventBasedGateway` → timer, message or conditional `intermediateCatchEvent`",
    ),
    Construct(
        "transaction_cancel",
        "Transactions and cancel events",
        "`transaction`, `cancelEventDefinition`",
    ),
    Construct("link_event", "Link events", "`linkEventDefinition`"),
    Construct("service_task", "Service tasks (Casepath's closed list of operations)", "`serviceTask`"),
)


def markdown_table() -> str:
    """The construct table of docs/pathway-authoring.md, between its ``constructs-table`` markers."""
    lines = ["| construct | BPMN | status | proved by |", "|---|---|---|---|"]
    for item in CONSTRUCTS:
        status = "supported" if item.supported else f"refused: {item.refused}"
        lines.append(f"| {item.label} (`{item.code}`) | {item.elements} | {status} | `{item.test_file}` |")
    return "\n".join(lines) + "\n"

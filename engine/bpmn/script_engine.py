"""The script engine every Casepath workflow runs on: SpiffWorkflow's, with the evaluator replaced.

Two library paths call ``environment.evaluate`` directly, so replacing only the script engine would
leave a hole: the *environment* is replaced too, and both route to :mod:`engine.bpmn.expressions`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.bpmn import operations
from engine.bpmn.expressions.evaluator import Evaluator
from engine.bpmn.expressions.syntax import check_expression
from engine.bpmn.properties import raw_of_spec
from engine.clock import Clock
from engine.config import RunLimits
from engine.errors import ExpressionError


class SafeEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """Routes every expression and script through Casepath's interpreter, never the builtin one."""

    def __init__(self, evaluator: Evaluator) -> None:
        super().__init__({})
        self.evaluator = evaluator

    def evaluate(self, expression: str, context: Mapping[str, Any], external_context: Any = None) -> Any:
        names = {**(external_context or {}), **context}
        return self.evaluator.evaluate(expression, names)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        self.evaluator.execute(script, context)
        return True

    def call_service(self, context: Any, **kwargs: Any) -> Any:
        raise ExpressionError("a service task runs only through SafeScriptEngine.call_service")


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """A script engine bound to a clock and to the case's run limits, whose environment is the safe one."""

    def __init__(
        self,
        clock: Clock,
        limits: RunLimits | None = None,
        event_subprocesses: Mapping[str, bool] | None = None,
    ) -> None:
        self.clock = clock
        self.limits = limits or RunLimits()
        self.event_subprocesses = dict(event_subprocesses or {})  # id → interrupts (see event_subprocesses)
        super().__init__(environment=SafeEnvironment(Evaluator(clock)))

    def validate(self, expression: str) -> None:
        check_expression(expression)

    def now(self) -> datetime:
        return self.clock.now()

    def call_service(self, task: Any, **kwargs: Any) -> str:
        """A service task's operation, carried out by the handler bound for this run (a JSON string)."""
        spec = task.task_spec
        element = str(spec.bpmn_id)
        handler = operations.current()
        if handler is None:
            raise ExpressionError(
                "no handler for service tasks", element_id=element, problem="operation_unbound"
            )
        call = operations.OperationCall(
            str(kwargs.get("operation_name", "")),
            element,
            str(spec.bpmn_name or element),
            raw_of_spec(spec),
            dict(task.data),
        )
        try:
            result = handler.run(call)
        except operations.OperationFailed as failure:
            raise ExpressionError(failure.detail, element_id=element, problem=failure.problem) from failure
        return json.dumps(dict(result), default=str)


def engine_of(workflow: BpmnWorkflow) -> SafeScriptEngine:
    engine = workflow.top_workflow.script_engine
    if not isinstance(engine, SafeScriptEngine):  # a workflow must never run on the default engine
        raise ExpressionError("workflow is not bound to Casepath's script engine")
    return engine

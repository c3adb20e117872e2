"""Specs and case state to bytes and back.

A pathway version's specs are stored once and cached; a case stores only its state, compressed, and
loading restores it onto the shared spec objects.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.bpmn.decisions import use_casepath_decisions
from engine.bpmn.events import CasepathCondition
from engine.bpmn.parsing import ParsedPathway
from engine.bpmn.script_engine import SafeScriptEngine
from engine.bpmn.timers import TIMER_CLASSES
from engine.clock import Clock
from engine.config import RunLimits
from engine.errors import UnknownSerializer

SERIALIZER_VERSION = "casepath-1/spiff-1.5"  # what dump_state writes; stored with each case's state
READABLE_VERSIONS = frozenset({SERIALIZER_VERSION})  # what load_state restores


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Restores a workflow's state onto spec objects that were built once per pathway version."""

    def restore_state(self, dct: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow

    def state_to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        """The library's dict of a workflow, less the specs: they are shared and stored once per version.

        The same dict as ``BpmnWorkflowConverter.to_dict`` without ``spec`` and ``subprocess_specs``,
        which converting would cost as much as the rest of the state and be thrown away.
        """
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct["typename"] = self.registry.typenames[self.target_class]
        return dct


def _build_serializer() -> tuple[BpmnWorkflowSerializer, _StateConverter]:
    config = dict(SPIFF_CONFIG)
    for replacement in [*TIMER_CLASSES.values(), CasepathCondition]:
        config[replacement] = TimerConditionalEventDefinitionConverter
    registry = BpmnWorkflowSerializer.configure(config)
    converter = _StateConverter(BpmnWorkflow, registry)
    return BpmnWorkflowSerializer(registry), converter


_SERIALIZER, _STATE = _build_serializer()


def dump_spec(parsed: ParsedPathway) -> str:
    """The specs as JSON, stored once per pathway version."""
    return json.dumps(
        {
            "process_id": parsed.process_id,
            "spec": _SERIALIZER.to_dict(parsed.spec),
            "subprocess_specs": {k: _SERIALIZER.to_dict(v) for k, v in parsed.subprocess_specs.items()},
            "event_subprocesses": parsed.event_subprocesses,
            "called": parsed.called,
        },
        separators=(",", ":"),
    )


def called_of(spec_json: str) -> dict[str, int]:
    """The pinned versions of the pathways a version calls, without rebuilding its specs: ``called`` is
    the last key :func:`dump_spec` writes, so only the end of the JSON is read."""
    at = spec_json.rfind(',"called":')
    try:
        found = json.loads(spec_json[at + len(',"called":') : -1]) if at >= 0 else {}
    except ValueError:
        found = json.loads(spec_json).get("called", {})
    return {str(key): int(value) for key, value in dict(found).items()}


@lru_cache(maxsize=64)
def load_spec(spec_json: str) -> ParsedPathway:
    """Specs rebuilt from JSON; cached, since specs are immutable and shared by every case."""
    dct = json.loads(spec_json)
    spec = _SERIALIZER.from_dict(dct["spec"])
    subprocess_specs = {k: _SERIALIZER.from_dict(v) for k, v in dct["subprocess_specs"].items()}
    for item in [spec, *subprocess_specs.values()]:
        use_casepath_decisions(item)  # the library restores its own DMN engine
    extra = {"event_subprocesses": dct.get("event_subprocesses", {}), "called": dct.get("called", {})}
    return ParsedPathway(dct["process_id"], spec, subprocess_specs, **extra)


def dump_state(workflow: BpmnWorkflow) -> bytes:
    """A workflow's state without its spec, as compressed JSON: what a case stores.

    Compression matters: a finished six-month case holds a few dozen tasks whose JSON is mostly
    repeated keys and ids; zlib takes it from ~16 KB to a few KB per case.
    """
    registry = _SERIALIZER.registry
    registry._encoder_mode = True
    try:
        dct = _STATE.state_to_dict(workflow)
    finally:
        registry._encoder_mode = False
    # The library's encoder converts what its registry knows (events, datetimes) wherever it sits.
    text = json.dumps(dct, separators=(",", ":"), cls=_SERIALIZER._encoder_cls)
    return zlib.compress(text.encode("utf-8"), 6)


def load_state(
    state: bytes,
    serializer_version: str,
    pathway: ParsedPathway,
    clock: Clock,
    limits: RunLimits | None = None,
) -> BpmnWorkflow:
    """A workflow restored on the shared spec, bound to the safe script engine and the run limits.

    ``serializer_version`` is the one stored with the state: a state written by a serializer this
    release does not know is refused (UnknownSerializer) before it is read, never guessed at.
    """
    if serializer_version not in READABLE_VERSIONS:
        raise UnknownSerializer(
            f"the case's state was stored by serializer '{serializer_version}', which this release of "
            f"Casepath cannot read (it reads '{SERIALIZER_VERSION}'); nothing was changed",
            serializer_version,
        )
    dct = json.loads(zlib.decompress(state))
    workflow = _STATE.restore_state(dct, pathway.spec, pathway.subprocess_specs)
    workflow.script_engine = SafeScriptEngine(clock, limits, pathway.event_subprocesses)
    return workflow


def map_data(state: bytes, change: Callable[[dict[str, Any]], dict[str, Any]]) -> bytes:
    """A stored state with every data dict in it (the workflow's, each task's, each subprocess's)
    replaced by ``change(data)``: how retention removes free text from a closed case, which stays
    loadable (its tasks, their states and the path it took are kept)."""
    dct = json.loads(zlib.decompress(state))
    _map_workflow(dct, change)
    return zlib.compress(json.dumps(dct, separators=(",", ":")).encode("utf-8"), 6)


def _map_workflow(dct: dict[str, Any], change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    if isinstance(dct.get("data"), dict):
        dct["data"] = change(dct["data"])
    for task in (dct.get("tasks") or {}).values():
        if isinstance(task, dict) and isinstance(task.get("data"), dict):
            task["data"] = change(task["data"])
    for subprocess in (dct.get("subprocesses") or {}).values():
        if isinstance(subprocess, dict):
            _map_workflow(subprocess, change)

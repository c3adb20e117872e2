"""A case's stored state: what ``dump_state`` writes, and the work it does to write it."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from engine.bpmn import parsing, spiff, state
from engine.clock import FrozenClock, parse_instant
from engine.config import PROJECT_ROOT
from engine.errors import UnknownSerializer
from engine.pathways.forms import FormCatalog
from engine.pathways.lint import check_document

PATHWAY = PROJECT_ROOT / "workflows" / "pathways" / "crisis_centre_adult" / "crisis_centre_adult.bpmn"
FORMS = FormCatalog(PROJECT_ROOT / "workflows" / "forms")
START = {
    "case_number": "КЦ-2025-001",
    "admitted_at": "2025-08-31T10:00:00+03:00",
    "legal_basis": "referral",
    "target_group": "domestic_violence",
    "is_child": False,
    "age": 34,
    "has_referral": True,
}


def started() -> tuple[parsing.ParsedPathway, Any]:
    parsed = check_document(PATHWAY.read_bytes(), FORMS)[1]  # with the decisions its business rules call
    assert parsed is not None
    workflow = spiff.start(parsed, START, FrozenClock(parse_instant(START["admitted_at"])))
    task = spiff.ready_human_tasks(workflow)[0]
    spiff.complete(workflow, task.id, FORMS.get(task.properties.form).defaults())
    return parsed, workflow


def library_state(workflow: Any) -> dict[str, Any]:
    """The library's own full conversion with the specs taken out: what a case always stored."""
    serializer = state._SERIALIZER
    dct = serializer.to_dict(workflow)
    dct.pop("spec")
    dct.pop("subprocess_specs")
    return json.loads(json.dumps(dct, cls=serializer._encoder_cls))


def test_dump_state_stores_what_the_library_converts_less_the_specs() -> None:
    parsed, workflow = started()
    stored = json.loads(zlib.decompress(state.dump_state(workflow)))
    assert stored == library_state(workflow)
    clock = FrozenClock(parse_instant(START["admitted_at"]))
    restored = state.load_state(state.dump_state(workflow), state.SERIALIZER_VERSION, parsed, clock)
    assert [t.id for t in spiff.ready_human_tasks(restored)] == [
        t.id for t in spiff.ready_human_tasks(workflow)
    ]


@pytest.mark.parametrize("version", ["casepath-2/spiff-9", "", "1"])
def test_load_state_refuses_a_state_from_an_unknown_serializer_before_reading_it(version: str) -> None:
    parsed, workflow = started()
    clock = FrozenClock(parse_instant(START["admitted_at"]))
    for stored in (state.dump_state(workflow), b"not zlib at all"):
        with pytest.raises(UnknownSerializer) as error:
            state.load_state(stored, version, parsed, clock)
        assert error.value.code == "unknown_serializer" and error.value.serializer_version == version
        assert f"'{version}'" in error.value.message and state.SERIALIZER_VERSION in error.value.message


def test_dump_state_does_not_convert_the_shared_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The specs are stored once per pathway version; converting them on every step is wasted work."""
    parsed, workflow = started()
    registry = state._SERIALIZER.registry
    converted: list[Any] = []
    for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        name = registry.typenames[type(spec)]
        monkeypatch.setitem(registry.convert_to_dict, name, spy(registry.convert_to_dict[name], converted))
    state.dump_state(workflow)
    assert converted == []


def spy(convert: Callable[[Any], Any], calls: list[Any]) -> Callable[[Any], Any]:
    def call(obj: Any) -> Any:
        calls.append(obj)
        return convert(obj)

    return call

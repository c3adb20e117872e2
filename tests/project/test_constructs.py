"""The construct declaration of issue 11: every construct names the end-to-end test that proves it."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from bench.constructs_bench import _outcomes, proved
from engine.bpmn.constructs import CONSTRUCTS, Construct, markdown_table

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "pathway-authoring.md"
MARKED = re.compile(r"<!-- constructs-table:start -->\n(.*?)<!-- constructs-table:end -->", re.S)
CODES = (
    "call_activity", "multi_instance", "standard_loop", "event_subprocess", "message", "send_task", "error",
    "escalation", "conditional", "business_rule_dmn", "timer_start", "event_based_gateway_timer",
    "transaction_cancel", "link_event", "service_task",
)  # fmt: skip


def test_the_issue_s_constructs_are_declared_once_each() -> None:
    assert tuple(item.code for item in CONSTRUCTS) == CODES


def test_each_construct_names_its_test_file_and_a_missing_one_is_refused_with_a_reason() -> None:
    for item in CONSTRUCTS:
        assert item.test_file == f"tests/constructs/test_{item.code}.py"
        assert item.label.strip() and item.elements.strip()
        if not (ROOT / item.test_file).is_file():
            assert item.refused.strip(), f"{item.code}: {item.test_file} is missing and no reason is given"


def test_a_supported_construct_has_its_test_file() -> None:
    for item in CONSTRUCTS:
        if item.supported:
            assert (ROOT / item.test_file).is_file(), item.code


def test_the_docs_table_is_the_declaration() -> None:
    found = MARKED.search(DOCS.read_text(encoding="utf-8"))
    assert found is not None, "docs/pathway-authoring.md lost its constructs-table markers"
    assert found.group(1) == markdown_table(), "paste this between the markers:\n" + markdown_table()


def test_the_bench_counts_only_files_that_pass() -> None:
    report = etree.fromstring(
        b"<testsuites><testsuite>"
        b'<testcase classname="tests.constructs.test_a" name="x"/>'
        b'<testcase classname="tests.constructs.test_b" name="x"/>'
        b'<testcase classname="tests.constructs.test_b" name="y"><failure/></testcase>'
        b'<testcase classname="tests.constructs.test_c" name="x"><skipped/></testcase>'
        b"</testsuite></testsuites>"
    )
    passed, failed = _outcomes(report)
    assert (passed["tests.constructs.test_a"], failed["tests.constructs.test_a"]) == (1, 0)
    assert (passed["tests.constructs.test_b"], failed["tests.constructs.test_b"]) == (1, 1)
    assert passed["tests.constructs.test_c"] == 0
    refused = (Construct("x", "X", "`x`", "not run"), Construct("nowhere", "N", "`n`"))
    assert proved(refused) == []  # refused, or its file does not exist: never counted, nothing run

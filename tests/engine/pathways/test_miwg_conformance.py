"""Real diagrams no one on the project wrote: every BPMN MIWG file gets a clear verdict, never a traceback.

The files live outside the repository, in ``/work/shared/conformance/miwg`` (reference models and the
exports of five modelling tools). Most are not executable by Casepath, and saying so — naming the element
and the reason — is a correct verdict. The ``casepath pathways check`` command is run as coordinators run
it: a real process, over all files at once, and over the small cases of its exit codes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.pathways.forms import FormCatalog
from engine.pathways.lint import SUPPORTED, Verdict, check_document
from tests.conftest import FIXTURES, IN_CI

REPO = Path(__file__).resolve().parents[3]
# Beside the checkout (/work/main → /work/shared), also from a worktree one level deeper (/work/wt/x).
MIWG = next(
    (p / "shared" / "conformance" / "miwg" for p in REPO.parents if (p / "shared" / "conformance").is_dir()),
    REPO.parent / "shared" / "conformance" / "miwg",
)
FILES = sorted(MIWG.rglob("*.bpmn")) if MIWG.is_dir() else []
PER_FILE_SECONDS = 10.0  # a guard against hangs; bench/ measures the real time
CLI_SECONDS = 120.0
RunCli = Callable[..., subprocess.CompletedProcess[str]]
HEADLINE = re.compile(r"^(?P<label>.+): (?P<kind>valid \(process .+\)|invalid|not executable)$")

# BPMN 2.0 flow elements and artifacts: the only things a verdict may call an unsupported "element type".
BPMN_FLOW_ELEMENTS = frozenset(
    {
        *SUPPORTED,
        "sendTask", "receiveTask", "serviceTask", "callActivity", "adHocSubProcess", "transaction",
        "complexGateway", "implicitThrowEvent", "callChoreography", "choreographyTask", "subChoreography",
        "businessRuleTask",
    }
)  # fmt: skip


def require_miwg() -> None:
    if not FILES:
        reason = f"MIWG conformance files not found under {MIWG}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def label_of(path: Path) -> str:
    return path.relative_to(MIWG).as_posix()


def kind_of(verdict: Verdict) -> str:
    if verdict.valid:
        return "valid"
    return "not executable" if not verdict.executable else "invalid"


@pytest.fixture(scope="module")
def verdicts(fixture_forms: FormCatalog) -> dict[str, Verdict]:
    require_miwg()
    return {
        label_of(path): check_document(path.read_bytes(), fixture_forms, label_of(path))[0] for path in FILES
    }


# --- one verdict per file, in the library ---------------------------------------------------------------


@pytest.mark.parametrize("path", FILES or [None], ids=[label_of(p) for p in FILES] or ["miwg-missing"])
def test_each_file_gets_a_clear_verdict(path: Path | None, fixture_forms: FormCatalog) -> None:
    require_miwg()
    assert path is not None
    label = label_of(path)
    started = time.perf_counter()
    verdict, parsed = check_document(path.read_bytes(), fixture_forms, label)
    elapsed = time.perf_counter() - started
    assert elapsed < PER_FILE_SECONDS, f"{label} took {elapsed:.2f} s"
    assert isinstance(verdict, Verdict)
    assert isinstance(verdict.valid, bool)
    assert HEADLINE.match(verdict.summary().splitlines()[0]), verdict.summary()
    if verdict.valid:
        assert parsed is not None
        assert verdict.process_id == parsed.process_id
        return
    assert parsed is None
    for problem in verdict.problems:
        assert isinstance(problem.element_id, str) and problem.element_id.strip(), verdict.summary()
        assert isinstance(problem.message, str) and problem.message.strip(), verdict.summary()
        assert "Traceback" not in problem.message
        assert "\n" not in problem.message, "one line per problem"


def test_verdicts_cover_every_file(verdicts: dict[str, Verdict]) -> None:
    distribution = Counter(kind_of(verdict) for verdict in verdicts.values())
    print(f"\nMIWG verdicts over {len(verdicts)} files: {dict(sorted(distribution.items()))}")
    assert sum(distribution.values()) == len(FILES)
    assert set(distribution) <= {"valid", "invalid", "not executable"}


def test_not_executable_says_why(verdicts: dict[str, Verdict]) -> None:
    for label, verdict in verdicts.items():
        if kind_of(verdict) == "not executable":
            reasons = [p for p in verdict.problems if p.message.startswith("not executable")]
            assert reasons, f"{label}: {verdict.summary()}"


def test_only_real_bpmn_elements_are_called_unsupported(verdicts: dict[str, Verdict]) -> None:
    """Parts of an element (incoming, outgoing, loop characteristics …) are not element types of their own."""
    named = re.compile(r"element type (\w+) is not supported")
    for label, verdict in verdicts.items():
        for problem in verdict.problems:
            found = named.search(problem.message)
            if found:
                kind = found.group(1)
                assert kind in BPMN_FLOW_ELEMENTS - SUPPORTED, f"{label}: {problem}"


def test_library_messages_are_translated(verdicts: dict[str, Verdict]) -> None:
    """SpiffWorkflow's own wording ("... for tasks of type.") never reaches a coordinator."""
    raw = ("for tasks of type", "Time Specification Error", "When looking for a task spec", "Error(")
    for label, verdict in verdicts.items():
        for problem in verdict.problems:
            assert not any(text in problem.message for text in raw), f"{label}: {problem}"


# --- the real command -----------------------------------------------------------------------------------


def casepath_command() -> str:
    """The ``casepath`` script that ``pip install -e .`` (``make install-test``) puts beside Python."""
    beside = Path(sys.executable).parent / "casepath"
    assert beside.exists(), f"{beside} is missing: run make install-test"
    return str(beside)


@pytest.fixture
def run_cli(tmp_path: Path) -> RunCli:
    """``casepath …`` in a subprocess whose settings point into tmp_path, so nothing lands in the repo."""
    workflows = tmp_path / "workflows"
    shutil.copytree(FIXTURES / "forms", workflows / "forms")
    env = {
        **os.environ,
        "CASEPATH_WORKFLOWS_DIR": str(workflows),
        "CASEPATH_INSTANCE_DIR": str(tmp_path / "instance"),
        "CASEPATH_DATABASE_URL": f"sqlite:///{tmp_path / 'casepath.sqlite3'}",
        "CASEPATH_SECRET_KEY": "test-secret",  # else a key file would be written under the repo
    }
    command = casepath_command()

    def run(*args: str, timeout: float = CLI_SECONDS) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [command, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=timeout,
            check=False,
        )

    return run


def test_check_over_all_miwg_files_at_once(run_cli: RunCli) -> None:
    require_miwg()
    started = time.perf_counter()
    result = run_cli("pathways", "check", *map(str, FILES))
    elapsed = time.perf_counter() - started
    assert elapsed < CLI_SECONDS
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), result.stderr
    headlines = [m for line in result.stdout.splitlines() if (m := HEADLINE.match(line))]
    assert [m["label"] for m in headlines] == [str(path) for path in FILES]
    problem_lines = [line for line in result.stdout.splitlines() if not HEADLINE.match(line)]
    assert all(line.startswith("  - ") for line in problem_lines), problem_lines[:5]
    any_invalid = any(not m["kind"].startswith("valid") for m in headlines)
    assert result.returncode == (1 if any_invalid else 0)


def test_check_of_a_valid_pathway_exits_0(run_cli: RunCli) -> None:
    result = run_cli("pathways", "check", str(FIXTURES / "mini.bpmn"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"{FIXTURES / 'mini.bpmn'}: valid (process mini)"
    assert result.stderr == ""


def test_check_of_a_hostile_file_exits_1(run_cli: RunCli, tmp_path: Path) -> None:
    hostile = tmp_path / "xxe.bpmn"
    hostile.write_text(
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
        '<bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" name="&xxe;"/></bpmn:process>'
        "</bpmn:definitions>",
        encoding="utf-8",
    )
    result = run_cli("pathways", "check", str(hostile))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{hostile}: not executable",
        f"  - {hostile}: DOCTYPE and entity declarations are not allowed",
    ]
    assert "root:" not in result.stdout
    assert "Traceback" not in result.stderr


def test_check_of_a_missing_file_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.bpmn"
    result = run_cli("pathways", "check", str(missing))
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"{missing}: cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_does_not_hide_the_other_verdicts(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("pathways", "check", str(tmp_path / "nowhere.bpmn"), str(FIXTURES / "mini.bpmn"))
    assert result.returncode == 2
    assert "mini.bpmn: valid (process mini)" in result.stdout
    assert "nowhere.bpmn: cannot read" in result.stderr


def test_check_without_files_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli("pathways", "check")
    assert result.returncode == 2
    assert "Usage:" in result.stderr
    assert "Missing argument" in result.stderr
    assert "Traceback" not in result.stderr

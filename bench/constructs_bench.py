"""``bpmn_constructs_supported N``: the declared constructs (engine/bpmn/constructs.py) proved end to end.

Runs every declared construct's test file with pytest, in one subprocess, and counts the constructs
whose file exists, is not declared refused, and passes: at least one test passed and none failed or
erred. Nothing is hard-coded: a missing, refused or failing construct is simply not counted.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from lxml import etree

from engine.bpmn.constructs import CONSTRUCTS, Construct

ROOT = Path(__file__).resolve().parent.parent
Result = tuple[str, int | float, str]


def proved(constructs: tuple[Construct, ...] = CONSTRUCTS) -> list[str]:
    """The codes of the constructs whose end-to-end test file exists and passes."""
    files = {
        item.code: item.test_file
        for item in constructs
        if item.supported and (ROOT / item.test_file).is_file()
    }
    if not files:
        return []
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "junit.xml"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--junitxml={report}",
                *files.values(),
            ],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        if not report.is_file():
            return []
        passed, failed = _outcomes(etree.parse(str(report)).getroot())
    return [code for code, path in files.items() if passed[_module(path)] and not failed[_module(path)]]


def _module(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _outcomes(root: etree._Element) -> tuple[Counter[str], Counter[str]]:
    passed: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for case in root.iter("testcase"):
        module = str(case.get("classname") or "")
        outcome = {child.tag for child in case}
        if outcome & {"failure", "error"}:
            failed[module] += 1
        elif "skipped" not in outcome:
            passed[module] += 1
    return passed, failed


def run(quick: bool) -> list[Result]:
    return [("bpmn_constructs_supported", len(proved()), "constructs")]


if __name__ == "__main__":
    for name, value, unit in run(quick=False):
        print(f"{name} {value} {unit}")

"""Where the pathway a call activity calls is found, when it is not a process of the caller's file.

Two lookups answer "process id → (its document, its version)": the pathway files of a folder
(:func:`pathway_files`, the shipped layout; what ``check``, ``simulate`` and ``test`` and the tests use,
version 0: nothing is deployed) and the deployed versions (``versions.deployed_callees``, which deploying
pins). :func:`sub_pathways` tells which files of the folder are only there to be called.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

# Where a pathway that this one calls is found: its id → (its document, its version), or None.
Callees = Callable[[str], tuple[bytes, int] | None]

_CALLED = re.compile(rb'calledElement="([^"]{1,200})"')


def pathway_files(pathways_dir: Path) -> Callees:
    """Finds a called pathway as a file, ``<pathways_dir>/<id>/<id>.bpmn`` (the shipped layout), for
    checking and simulating before anything is deployed; its version is 0 (not deployed)."""

    def find(key: str) -> tuple[bytes, int] | None:
        if not key or "/" in key or "\\" in key or key.startswith("."):
            return None
        path = pathways_dir / key / f"{key}.bpmn"
        try:
            return (path.read_bytes(), 0) if path.is_file() else None
        except OSError:
            return None

    return find


def sub_pathways(pathways_dir: Path) -> set[str]:
    """The pathways of the folder that another one of it calls (``monthly_review``): nobody opens a case
    on them, and their callers' scenarios prove them. A plain byte search of the shipped files, which
    are ours; an upload is only ever read by the safe parse."""
    called: set[str] = set()
    for path in sorted(pathways_dir.glob("*/*.bpmn")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        called.update(match.decode("utf-8", "replace") for match in _CALLED.findall(data))
    return {path.stem for path in pathways_dir.glob("*/*.bpmn") if path.stem in called}

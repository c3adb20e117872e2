"""The studio's problems in the reader's language: each coded problem's message id, with its values."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from engine.errors import Problem
from engine.pathways.lint import Verdict
from engine.pathways.problem_codes import coded, template_of


def problem_json(problem: Problem) -> dict[str, Any]:
    problem = coded(problem)
    template, values = template_of(problem)
    message = gettext(template, **values) if template else problem.message
    return {
        "element_id": problem.element_id,
        "severity": problem.severity,
        "code": problem.code,
        "message": message,
    }


def verdict_word(verdict: Verdict) -> str:
    if verdict.valid:
        return "valid"
    return "invalid" if verdict.executable else "not_executable"

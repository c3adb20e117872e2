"""Errors with stable codes.

Every error a service raises carries a ``code``: the web app maps it to an HTTP status in one place
(``web/errors.py``); the CLI (``cli/``, ``run`` in ``cli/main.py`` for whatever a command does not catch)
prints the ``message`` and exits with status 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta


class CasepathError(Exception):
    """Base class: ``code`` is stable, ``message`` is for people."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CasepathError):
    code = "not_found"


class PermissionDenied(CasepathError):
    code = "forbidden"


class ValidationFailed(CasepathError):
    """Input that does not fit; ``fields`` maps a field name to its messages."""

    code = "validation_failed"

    def __init__(self, message: str, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields: dict[str, list[str]] = {k: list(v) for k, v in (fields or {}).items()}


class FileRefused(ValidationFailed):
    """An uploaded file that is not of an accepted kind (judged by its content), or is damaged."""

    code = "file_refused"


class QueryInvalid(ValidationFailed):
    """A query parameter that does not fit (HTTP 400); ``fields`` names the parameter."""

    code = "query_invalid"


class FileTooLarge(ValidationFailed):
    """An uploaded file over the configured size."""

    code = "too_large"


class TooManyAttempts(CasepathError):
    """Refused for now after repeated failures; ``retry_after`` says how long to wait."""

    code = "too_many_attempts"

    def __init__(self, message: str, retry_after: timedelta) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConcurrencyConflict(CasepathError):
    """Someone else changed the same case first; nothing of this attempt was stored."""

    code = "conflict"


class UnknownSerializer(CasepathError):
    """A case's state was stored by a serializer this release cannot read (a newer one, say): not loaded."""

    code = "unknown_serializer"

    def __init__(self, message: str, serializer_version: str) -> None:
        super().__init__(message)
        self.serializer_version = serializer_version


class IntegrityFault(CasepathError):
    """A database constraint refused a write that was not a race: a bug in Casepath, not the user's."""

    code = "integrity_error"


@dataclass(frozen=True)
class Problem:
    """One problem found in a diagram: the element it is about and what is wrong.

    ``code`` names the kind of problem, stable for the studio and the API ("" until
    ``engine.pathways.problem_codes.coded`` gives it one); ``severity`` is ``error`` (it blocks a deploy)
    or ``warning``.
    """

    element_id: str
    message: str
    code: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.element_id}: {self.message}"


class PathwayInvalid(CasepathError):
    """A diagram that Casepath will not run, with a problem per element."""

    code = "pathway_invalid"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class ExpressionError(CasepathError):
    """An expression outside the safe subset, or one that failed while it ran."""

    code = "expression_error"

    def __init__(self, message: str, expression: str = "", element_id: str = "", problem: str = "") -> None:
        super().__init__(message)
        self.expression = expression
        self.element_id = element_id
        self.problem = problem or "expression"  # its kind, without values: engine/bpmn/run_problems.py

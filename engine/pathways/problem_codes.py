"""Stable codes for the problems of a diagram, and the message ids that say them in the user's language.

The lint and SpiffWorkflow's parse write each problem as an English sentence that names the values it
is about. The studio and the API need more: a ``code`` that stays the same when the wording changes,
and the sentence in the reader's language. Each known sentence is matched here once, by a pattern
that takes its values out; the adapter translates ``template`` (a message id in the catalogues) and
fills in those values. A sentence no pattern knows (a rule added later) keeps its English text and
gets the code ``rule``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from engine.errors import Problem


def N_(text: str) -> str:
    """Marks a message id for the catalogues; translated where it is shown."""
    return text


@dataclass(frozen=True)
class Kind:
    code: str
    pattern: re.Pattern[str]
    template: str  # a message id with %(name)s for each named group of the pattern
    severity: str = "error"


def _kind(code: str, pattern: str, template: str, severity: str = "error") -> Kind:
    return Kind(code, re.compile(pattern + r"\Z", re.DOTALL), template, severity)


KINDS: tuple[Kind, ...] = (
    _kind(
        "role_unknown",
        r"not executable: user task '(?P<value>.*)' is not a casework role \(a (?P<property>\w+) property.*",
        N_("not executable: '%(value)s' is not a casework role (property '%(property)s' or a lane's name)"),
    ),
    _kind(
        "role_missing",
        r"not executable: user task names no role \(a (?P<property>\w+) property.*",
        N_("not executable: the task names no role (property '%(property)s' or a lane named after a role)"),
    ),
    _kind(
        "form_missing",
        r"not executable: user task names no form \(property '(?P<property>\w+)'\)",
        N_("not executable: the task names no form (property '%(property)s')"),
    ),
    _kind(
        "form_unknown",
        r"(?P<property>\w+) '(?P<value>.*)' does not exist in workflows/forms/",
        N_("%(property)s '%(value)s': there is no such form"),
    ),
    _kind(
        "due_invalid",
        r"(?P<property>\w+) '(?P<value>.*)' is neither an ISO 8601 duration nor a valid expression: "
        r"(?P<detail>.*)",
        N_("%(property)s '%(value)s' is neither a duration (P7D, P1M) nor a valid expression: %(detail)s"),
    ),
    _kind(
        "roles_unknown",
        r"(?P<property>\w+) names no casework role: (?P<value>.*)",
        N_("%(property)s: not casework roles: %(value)s"),
    ),
    _kind(
        "anchor_unknown",
        r"(?P<property>\w+) '(?P<value>.*)' is not a date Casepath counts from \(one of: (?P<known>.*)\)",
        N_("%(property)s '%(value)s' is not a date Casepath counts from (one of: %(known)s)"),
    ),
    _kind(
        "flag_invalid",
        r"(?P<property>\w+) '(?P<value>.*)' must be true or false",
        N_("%(property)s '%(value)s' must be true or false"),
    ),
    _kind(
        "element_unsupported",
        r"not executable by Casepath: element type (?P<kind>\w+) is not supported",
        N_("not executable by Casepath: elements of type %(kind)s are not supported"),
    ),
    _kind(
        "event_subprocess_unsupported",
        r"not executable by Casepath: event sub-processes are not supported",
        N_("not executable by Casepath: event sub-processes are not supported"),
    ),
    _kind(
        "construct_unsupported",
        r"not executable by Casepath: (?P<kind>\w+) is not supported",
        N_("not executable by Casepath: %(kind)s is not supported"),
    ),
    _kind(
        "boundary_unattached",
        r"the boundary event is attached to no activity here",
        N_("the boundary event is attached to no activity of this process"),
    ),
    _kind(
        "too_long",
        r"(?P<what>.+) is longer than (?P<limit>\d+) characters",
        N_("%(what)s is longer than %(limit)s characters"),
    ),
    _kind(
        "expression_invalid",
        r"(?P<kind>script|expression|timer) (?P<text>'.*'|\".*\"): (?P<detail>.*)",
        N_("%(kind)s %(text)s: %(detail)s"),
    ),
    _kind(
        "cycle_too_short",
        r"the timer repeats every (?P<value>\S+): at least (?P<minimum>\S+) is allowed",
        N_("the timer repeats every %(value)s: the shortest cycle allowed is %(minimum)s"),
    ),
    _kind(
        "several_processes",
        r"one executable process per file: mark the others non-executable",
        N_("one executable process per file: mark the others non-executable"),
    ),
    _kind(
        "no_executable_process",
        r"not executable: no process has isExecutable=\"true\"",
        N_("not executable: no process is marked executable"),
    ),
    _kind(
        "not_bpmn",
        r"not executable: the root element is not bpmn:definitions",
        N_("not executable: this is not a BPMN 2.0 document"),
    ),
    _kind(
        "not_xml",
        r"not well-formed XML: line (?P<line>\d+), column (?P<column>\d+)",
        N_("not well-formed XML: an error at line %(line)s, column %(column)s"),
    ),
    _kind(
        "not_xml",
        r"not well-formed XML: elements nested more than 256 levels deep",
        N_("not well-formed XML: elements nested more than 256 levels deep"),
    ),
    _kind("not_xml", r"not well-formed XML: (?P<detail>.*)", N_("not well-formed XML: %(detail)s")),
    _kind("empty", r"the file is empty", N_("the diagram is empty")),
    _kind(
        "multiple_outgoing",
        r"more than one flow leaves this task: branch with a gateway after it",
        N_("more than one flow leaves this task: branch with a gateway after it"),
    ),
    _kind(
        "condition_missing",
        r"a flow out of an exclusive gateway needs a condition, or must be its default",
        N_("a flow out of an exclusive gateway needs a condition, or must be its default"),
    ),
    _kind("no_start_event", r"the process has no start event", N_("the process has no start event")),
    _kind(
        "timer_empty",
        r"the timer has no date, duration or cycle.*",
        N_("the timer has no date, duration or cycle (for example P7D or R/P1M)"),
    ),
    _kind(
        "flow_target_missing",
        r"a flow from here leads to an element that is missing or not unique",
        N_("a flow from here leads to an element that is missing or not unique"),
    ),
    _kind(
        "undefined_signal",
        r"the event names a signal or message that the diagram does not define",
        N_("the event names a signal or message that the diagram does not define"),
    ),
)


def kind_of(message: str) -> Kind | None:
    return next((kind for kind in KINDS if kind.pattern.match(message)), None)


def coded(problem: Problem) -> Problem:
    """The problem with its code and severity (one that already has a code is kept as it is)."""
    if problem.code:
        return problem
    kind = kind_of(problem.message)
    if kind is None:
        return replace(problem, code="rule")
    return replace(problem, code=kind.code, severity=kind.severity)


def template_of(problem: Problem) -> tuple[str, dict[str, str]]:
    """The message id and the values to say ``problem`` in another language; ("", {}) when unknown."""
    kind = kind_of(problem.message)
    if kind is None:
        return "", {}
    match = kind.pattern.match(problem.message)
    assert match is not None
    return kind.template, {name: value for name, value in match.groupdict().items() if value is not None}

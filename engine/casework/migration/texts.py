"""What a migration says about a case: one message id per kind of change, its English text (the
catalogue's msgid) and its parameters. The preview, the API, the command line and the timeline store
the id and the parameters; each reader sees the text in their own language (``web/babel.cfg``
extracts this module). Parameters are element names, dates and version numbers: never case data.
"""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Marks a text for the catalogues; translated where it is shown."""
    return message


CHANGES: dict[str, str] = {
    "task_kept": N_("Open task “%(name)s” is kept"),
    "task_mapped": N_("Open task “%(name)s” continues as “%(to)s”"),
    "task_due": N_("Task “%(name)s” is now due %(due)s (was %(was)s)"),
    "task_new": N_("New task “%(name)s” opens"),
    "timer_kept": N_("Timer “%(name)s” is kept: due %(due)s"),
    "timer_moved": N_("Timer “%(name)s” moves from %(was)s to %(due)s"),
    "timer_dropped": N_("Timer “%(name)s” is dropped"),
    "deadline_new": N_("New deadline “%(name)s”: due %(due)s"),
    "data_missing": N_("The form of “%(name)s” asks for data the case lacks: %(fields)s"),
    "blocked_gone": N_("Open step “%(name)s” has no counterpart in version %(version)s: give a mapping"),
    "blocked_incident": N_("The case is stopped by an error (an incident): retry it first"),
    "blocked_suspended": N_("The case is suspended, its clocks held: resume it first"),
    "blocked_locked": N_("Someone is changing the case right now: try again"),
    "blocked_not_on_source": N_("The case is no longer open on version %(version)s"),
    "failed": N_("The case could not be moved (%(problem)s); it stays on version %(version)s, unchanged"),
    "moved_on": N_("The case has moved on since it was migrated (%(what)s on %(date)s)"),
    "not_migrated": N_("The case was not migrated in this batch"),
}

# A timeline line of a migrated or reverted case; ``moved`` lists the timers' new dates.
TIMELINE_MIGRATED = N_("Pathway updated to version %(version)s")
TIMELINE_REVERTED = N_("Pathway returned to version %(version)s")
TIMELINE_TIMER = N_("%(name)s: next on %(due)s")

# The kinds of change that move a clock: executing a batch with one needs a manager's approval.
CLOCK_CHANGES = frozenset({"task_due", "timer_moved", "timer_dropped", "deadline_new"})
BLOCKING = frozenset(code for code in CHANGES if code.startswith("blocked_"))


def change(code: str, **params: Any) -> dict[str, Any]:
    assert code in CHANGES, code
    return {"code": code, "params": params}


def english(item: dict[str, Any]) -> str:
    """A change in English (the command line, the API's ``message``)."""
    params = {key: value for key, value in item.get("params", {}).items() if not key.endswith("_en")}
    for key, value in item.get("params", {}).items():
        if key.endswith("_en") and value:
            params[key[:-3]] = value
    return CHANGES[item["code"]] % params

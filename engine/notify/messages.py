"""What notifications say: one message id per kind, its English text (the catalogue's msgid) and its
parameters. A notification row stores the id and the parameters; each reader sees it in their own
language when it is shown (``web/notification_texts.py``). E-mails say only the kind and the case
number (``engine.notify.outbox.SUBJECTS``): never a name, an address or a diagram's text.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a text for the catalogues (``web/babel.cfg`` extracts this module); translated where shown."""
    return message


DEADLINE_FIRED = "deadline.fired"
ROLE_GRANTED = "role.granted"
PATHWAY_DEPLOYED = "pathway.deployed"
TASK_ASSIGNED = "task.assigned"
TASK_DUE_SOON = "task.due_soon"
TASK_OVERDUE = "task.overdue"
TASK_FOLLOW_UP = "task.follow_up"
ESCALATION_OPENED = "escalation.opened"


@dataclass(frozen=True)
class Message:
    kind: str
    text: str  # English msgid with %(name)s parameters
    label: str  # what the preferences page calls this kind


MESSAGES: dict[str, Message] = {
    m.kind: m
    for m in (
        Message(
            TASK_ASSIGNED,
            N_("Case %(number)s: the task “%(task)s” was given to you"),
            N_("A task is given to me"),
        ),
        Message(
            TASK_DUE_SOON,
            N_("Case %(number)s: your task “%(task)s” is due tomorrow"),
            N_("My task is due tomorrow"),
        ),
        Message(
            TASK_OVERDUE, N_("Case %(number)s: your task “%(task)s” is overdue"), N_("My task is overdue")
        ),
        Message(
            TASK_FOLLOW_UP,
            N_("Case %(number)s: your follow-up on “%(task)s” is today"),
            N_("My follow-up date has come"),
        ),
        Message(
            ESCALATION_OPENED,
            N_("Case %(number)s: escalation “%(task)s” was opened"),
            N_("An escalation is opened"),
        ),
        Message(
            DEADLINE_FIRED, N_("Case %(number)s: deadline “%(name)s” has passed"), N_("A deadline has passed")
        ),
        Message(
            ROLE_GRANTED,
            N_("%(centre)s: %(username)s was given the role “%(role)s”"),
            N_("A role is granted in my centre"),
        ),
        Message(
            PATHWAY_DEPLOYED,
            N_("The pathway %(process_id)s was updated to version %(version)s by %(by)s"),
            N_("A pathway my centre uses is updated"),
        ),
    )
}
KINDS = tuple(MESSAGES)

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
PATHWAY_APPROVAL = "pathway.approval"  # a deploy waits for a manager's approval
TASK_ASSIGNED = "task.assigned"
TASK_DUE_SOON = "task.due_soon"
TASK_OVERDUE = "task.overdue"
TASK_FOLLOW_UP = "task.follow_up"
ESCALATION_OPENED = "escalation.opened"
CASE_LINKED = "case.linked"
CASE_LINKED_OVER_CAPACITY = "case.linked_over_capacity"
CASE_OPERATION = "case.operation"
OUTSIDE_NOTICE = "case.outside_notice"
PATHWAY_THREW = "case.thrown"  # a send task or a throw event of the case's pathway was reached


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
        Message(
            CASE_LINKED,
            N_("Case %(number)s was opened by a child's handover from another centre"),
            N_("A child's case is opened in my centre by a handover"),
        ),
        Message(
            CASE_LINKED_OVER_CAPACITY,
            N_("Case %(number)s was opened by a handover from another centre, over the centre's capacity"),
            N_("A handover fills my centre over its capacity"),
        ),
        Message(
            PATHWAY_APPROVAL,
            N_("A change to the pathway %(pathway)s awaits approval (no. %(approval)s), asked by %(by)s"),
            N_("A pathway change awaits my approval"),
        ),
        Message(PATHWAY_THREW, N_("Case %(number)s: “%(name)s”"), N_("A step of a pathway calls my role")),
        Message(CASE_OPERATION, N_("Case %(number)s: “%(step)s”"), N_("A step of a pathway tells my role")),
        Message(
            OUTSIDE_NOTICE,
            N_("Case %(number)s: send the notice to %(body)s (no personal data)"),
            N_("A notice to an outside body is due"),
        ),
    )
}
KINDS = tuple(MESSAGES)

"""The engine's field messages, in the reader's language.

The engine refuses a field with a stable English text (``users.USERNAME_TAKEN``, ``passwords.TOO_EASY``
…); the admin page and the password page show it through this one catalogue. A text the engine
declares with ``N_`` (a form's field errors, engine/pathways/forms.py) is its own message id: it goes
through gettext as it is.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.casework import file_checks, notes, repair
from engine.pathways import versions
from engine.people import administration, centres, passwords, rooms, users

MESSAGES = {
    passwords.TOO_SHORT: _l("At least 10 characters."),
    passwords.TOO_LONG: _l("At most 1024 characters."),
    passwords.ONLY_SPACES: _l("Not only spaces."),
    passwords.TOO_EASY: _l(
        "Too easy to guess: avoid common words, names, repeats and sequences; a few unrelated words work."
    ),
    users.WRONG_PASSWORD: _l("This is not your current password."),
    users.USERNAME_TAKEN: _l("This username is taken: give the existing user a role instead."),
    users.USERNAME_FORM: _l("2–80 characters: lower-case Latin letters, digits, '.', '_' or '-'."),
    users.ROLES_APART: _l(
        "The admin role and casework roles are never held by one person at the same centre."
    ),
    administration.NOT_YOURS: _l("You do not administer this centre."),
    administration.NO_SUCH_USER: _l("There is no such user."),
    administration.NOT_TO_YOURSELF: _l("You cannot give a role to yourself."),
    administration.CENTRE_EXISTS: _l("A centre with this code exists."),
    administration.TOO_LONG: _l("Too long."),
    administration.LAST_ROLE: _l("This is the user's only role: deactivate the account instead."),
    administration.NO_SUCH_ROLE: _l("The user has no role in this centre."),
    administration.PLACES: _l("Between 1 and 1000 places."),
    administration.NOT_AN_EMAIL: _l("Not an e-mail address."),
    centres.CODE_FORM: _l("2–40 characters: lower-case Latin letters, digits or '-'."),
    notes.REQUIRED: _l("Required."),  # centres.REQUIRED too; centres.PLACES is administration.PLACES
    notes.TOO_LONG: _l("At most 10000 characters."),
    notes.IN_FUTURE: _l("Not in the future."),
    notes.THERAPY_ONLY: _l("Only a psychologist of the centre may choose this."),
    notes.NOT_A_TASK: _l("Not a task of this case."),
    notes.NOT_A_DATE: _l("A date and time, e.g. 2025-09-01T10:00."),
    file_checks.NOT_ACCEPTED: _l("Only PDF, PNG, JPEG, DOCX, XLSX and ODT documents are accepted."),
    file_checks.UNREADABLE: _l("The file cannot be read."),
    file_checks.ARCHIVE_REFUSED: _l("This document is not accepted: its archive looks crafted."),
    file_checks.EMPTY: _l("The file is empty."),
    file_checks.TOO_LARGE: _l("The file is larger than allowed."),
    versions.NO_FILE: _l("Choose a .bpmn file."),
    rooms.REQUIRED_NAME: _l("Required, at most 80 characters."),
    rooms.REQUIRED_LABEL: _l("Required, at most 40 characters."),
    rooms.ROOM_EXISTS: _l("The centre already has a room of this name."),
    rooms.PLACE_EXISTS: _l("The room already has a place of this name."),
    rooms.ROOM_TAKEN: _l(
        "A place in this room is taken: the room cannot be removed until the person leaves or moves."
    ),
    rooms.PLACE_TAKEN: _l("The place is taken: it cannot be removed until the person leaves or moves."),
    rooms.OCCUPANT_UNFIT: _l(
        "The person staying on this place does not fit these constraints: the place keeps its old ones."
    ),
    rooms.OCCUPANT_CHOICE: _l("Choose one of the options."),
    repair.REASON_REQUIRED: _l("Give a reason: it is kept in the audit trail."),
    repair.REASON_TOO_LONG: _l("At most 500 characters."),
    repair.REASON_UNSTORABLE: _l("Contains a character that cannot be kept."),
    repair.NOT_A_TARGET: _l("Not a step the case can be moved to now."),
    repair.NOT_REACHED: _l(
        "The pathway cannot reach this step from where the case is by skipping tasks (a timer, a message or "
        "a gateway is on the way)."
    ),
    repair.ERROR_REMAINS: _l(
        "The step that failed is not behind this one: run the case again, or move back before it."
    ),
    repair.NOT_PENDING: _l("Not a waiting timer of this case."),
    repair.WOULD_STOP: _l("The case waits for nothing else: cancelling this timer would stop it."),
    repair.CASE_CLOSED: _l("The case is closed."),
    repair.NOT_SUSPENDED: _l("The case is not suspended."),
    repair.SUSPENDED: _l("The case is suspended: resume it first."),
    repair.NOT_RUNNING: _l("The case is stopped by an error: run it again first."),
}
# Messages that name a value: known by how they begin.
PREFIXES = {
    repair.MOVE_FAILS: _l("Moving there stops the case at an error of the pathway."),
    "one of ": _l("Choose one from the list."),
    "no centre with code": _l("There is no such centre."),
}


def message(text: str) -> str:
    if text in MESSAGES:
        return str(MESSAGES[text])
    found = next((str(m) for prefix, m in PREFIXES.items() if text.startswith(prefix)), None)
    return found if found is not None else str(gettext(text))


def translated(
    errors: Mapping[str, list[str]], prefix: str = "", rename: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The errors per field, translated; field names get ``prefix`` or are renamed for the form."""
    names = rename or {}
    return {
        names.get(name, f"{prefix}{name}"): [message(text) for text in texts]
        for name, texts in errors.items()
    }

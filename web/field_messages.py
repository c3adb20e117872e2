"""The engine's field messages about people and passwords, in the reader's language.

The engine refuses a field with a stable English text (``users.USERNAME_TAKEN``, ``passwords.TOO_EASY``
…); the admin page and the password page show it through this one catalogue.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from engine.people import administration, passwords, users

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
}
# Messages that name a value: known by how they begin.
PREFIXES = {
    "one of ": _l("Choose one from the list."),
    "no centre with code": _l("There is no such centre."),
}


def message(text: str) -> str:
    if text in MESSAGES:
        return str(MESSAGES[text])
    found = next((str(m) for prefix, m in PREFIXES.items() if text.startswith(prefix)), None)
    return found if found is not None else text


def translated(
    errors: Mapping[str, list[str]], prefix: str = "", rename: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The errors per field, translated; field names get ``prefix`` or are renamed for the form."""
    names = rename or {}
    return {
        names.get(name, f"{prefix}{name}"): [message(text) for text in texts]
        for name, texts in errors.items()
    }

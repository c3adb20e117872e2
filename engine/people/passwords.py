"""Which passwords Casepath accepts: long enough, and not guessable by zxcvbn's estimate.

zxcvbn (the Dropbox estimator, kept as the ``zxcvbn`` package) knows common passwords, keyboard
walks, repeats, sequences, dates and dictionary words; the user's own name and username are given to
it too, so a password derived from them scores as the weak guess it is.
"""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 1024
# zxcvbn's score 3: "safely unguessable", more than 10^8 guesses, with argon2 and per-account throttling.
MIN_SCORE = 3
# zxcvbn's running time grows with the length; the first characters decide whether a password is weak.
_SCORED_PREFIX = 100

TOO_SHORT = f"at least {MIN_LENGTH} characters"
TOO_LONG = f"at most {MAX_LENGTH} characters"
ONLY_SPACES = "not only spaces"
TOO_EASY = "too easy to guess: avoid common words, names, repeats and sequences; a few unrelated words work"


def password_problems(password: str, user_inputs: Iterable[str] = ()) -> list[str]:
    """What is wrong with ``password`` for a user described by ``user_inputs``; empty when it is fine."""
    if len(password) < MIN_LENGTH:
        return [TOO_SHORT]
    if len(password) > MAX_LENGTH:
        return [TOO_LONG]
    if not password.strip():
        return [ONLY_SPACES]
    inputs = [text for value in user_inputs for text in _variants(value)]
    if zxcvbn(password[:_SCORED_PREFIX], user_inputs=inputs)["score"] < MIN_SCORE:
        return [
            "too easy to guess: avoid common words, names, repeats and sequences; a few unrelated words work"
        ]
    return []


def _variants(value: str) -> list[str]:
    """A username like ``m.ivanova-kc`` is guessed from its parts as well as whole."""
    value = value.strip().lower()
    parts = [part for part in value.replace(".", " ").replace("-", " ").replace("_", " ").split() if part]
    return [value, *parts] if value else []

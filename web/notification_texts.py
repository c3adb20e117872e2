"""Notifications in the reader's language: a row's message id and parameters, rendered when shown.

The message ids and their English texts are declared once, in ``engine/notify/messages.py`` (marked
for the catalogues); here they go through gettext. A row from before message ids has no parameters and
is shown with the text it was written with.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from engine.notify.messages import MESSAGES, ROLE_GRANTED
from engine.notify.notifications import NotificationView
from web.i18n import locale
from web.labels import role_name


class _Params(dict[str, Any]):
    """A parameter a message needs but an old or odd row lacks reads as empty, never a KeyError."""

    def __missing__(self, key: str) -> str:
        return ""


def notification_text(item: NotificationView) -> str:
    message = MESSAGES.get(item.kind)
    if item.params is None or message is None:
        return item.text
    params = _Params({key: str(value) for key, value in item.params.items()})
    lang = locale()
    if lang == "en":  # a name the diagram gives in both languages: "name" and "name_en"
        for key in [key for key in params if not key.endswith("_en")]:
            params[key] = params.get(f"{key}_en") or params[key]
    if item.kind == ROLE_GRANTED:
        params["role"] = role_name(params["role"])
    return str(gettext(message.text)) % params


def kind_label(kind: str) -> str:
    message = MESSAGES.get(kind)
    return str(gettext(message.label)) if message is not None else kind

"""E-mail transport: SMTP through the standard library, one header line at a time.

What goes out and when is the outbox's business (:mod:`engine.notify.outbox`); e-mails are sent
after the transaction that queued them has committed.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str


class Mailer(Protocol):
    def send(self, email: Email) -> None: ...


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def header_value(value: str, limit: int = 200) -> str:
    """One line, whatever it is given: CR, LF and other control characters become one space.

    A header value with a line break is refused by the e-mail library (the message never goes out)
    and, written raw, would let the value add headers of its own.
    """
    return " ".join(_CONTROL.sub(" ", value).split())[:limit]


class SmtpMailer:
    """SMTP through the standard library: a relay as it is, or a server asking for STARTTLS and a login."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout: float = 10.0,
        user: str = "",
        password: str = "",
        starttls: bool = False,
    ) -> None:
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.user, self.password, self.starttls = user, password, starttls

    def send(self, email: Email) -> None:
        message = EmailMessage()
        message["From"] = header_value(self.sender)
        message["To"] = header_value(email.to, 255)
        message["Subject"] = header_value(email.subject)
        message.set_content(email.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)

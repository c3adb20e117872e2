"""The composition root: settings → database, forms, clock; one place that wires the engine together.

``web``, ``tasks`` and the CLI each build one :class:`Services` and open a unit of work per request,
task run or command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.casework.file_store import FileStore, store_for
from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.notify.mail import Mailer, SmtpMailer
from engine.pathways.forms import FormCatalog
from engine.store.db import make_engine, make_session_factory
from engine.store.uow import Dispatcher, UnitOfWork, drop_events


@dataclass
class Services:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    forms: FormCatalog
    clock: Clock = field(default_factory=SystemClock)
    dispatch: Dispatcher = drop_events
    mailer: Mailer | None = None  # None: e-mails wait in the outbox until SMTP is configured
    files: FileStore | None = None  # attached documents; None: the store the settings name

    def __post_init__(self) -> None:
        if self.files is None:  # the instance folder, or an S3-compatible bucket (CASEPATH_S3_*)
            self.files = store_for(self.settings)

    @property
    def file_store(self) -> FileStore:
        assert self.files is not None  # set in __post_init__
        return self.files

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock | None = None, **kwargs: Any) -> Services:
        """Services for ``settings``; with ``smtp_host`` set, the outbox's e-mails can be delivered."""
        engine = make_engine(settings.database_url)
        services = cls(
            settings=settings,
            engine=engine,
            session_factory=make_session_factory(engine),
            forms=FormCatalog(settings.forms_dir),
            clock=clock or SystemClock(),
            **kwargs,
        )
        if settings.smtp_host and "mailer" not in kwargs:
            services.mailer = smtp_mailer(settings)
        return services

    def uow(self, clock: Clock | None = None, *, writer: bool = True) -> UnitOfWork:
        """A unit of work; ``writer=False`` for one that only reads (a plain BEGIN on SQLite)."""
        return UnitOfWork(
            self.session_factory, clock or self.clock, self.dispatch, self.settings.run_limits, writer=writer
        )


def smtp_mailer(settings: Settings) -> SmtpMailer:
    """The SMTP transport of ``settings.smtp_*``; the outbox (engine/notify/outbox.py) decides what it
    sends."""
    return SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_sender,
        user=settings.smtp_user,
        password=settings.smtp_password,
        starttls=settings.smtp_starttls,
    )

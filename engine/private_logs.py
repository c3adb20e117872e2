"""Logging that never writes personal data: no exception messages, no query strings, no warning texts.

An exception's message may quote what caused it: a PostgreSQL error its DETAIL (``Key (username)=
(galina)``), a script error a case value. A URL's query string may carry a name someone searched
for. So every handler this process installs formats tracebacks as frames and exception types only,
cuts query strings from what it prints, and reports warnings by category and place. SQLAlchemy's
own parameter echo is off at the source (``hide_parameters=True`` in ``engine.store.db``).

``configure_logging()`` is called once by each entry point: ``casepath serve``, the WSGI module
gunicorn loads, and the Celery worker and beat.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
import warnings
from types import TracebackType
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# "/cases?q=Галина Ф." → "/cases?…": a path followed by a query string, up to a quote or whitespace.
_QUERY = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]*")


def without_query(text: str) -> str:
    return _QUERY.sub(r"\1?…", text)


def exception_summary(exc_type: type[BaseException] | None, tb: TracebackType | None) -> str:
    """A traceback's frames and the exception's type, without its message (nor its causes')."""
    frames = "".join(traceback.format_tb(tb)) if tb is not None else ""
    name = exc_type.__qualname__ if exc_type is not None else "exception"
    module = getattr(exc_type, "__module__", "builtins")
    qualified = name if module == "builtins" else f"{module}.{name}"
    return f"Traceback (most recent call last):\n{frames}{qualified} (message withheld)"


class PrivateFormatter(logging.Formatter):
    """The standard formatter, minus exception messages and query strings."""

    def formatException(self, ei: Any) -> str:
        exc_type, _value, tb = ei
        return exception_summary(exc_type, tb)

    def format(self, record: logging.LogRecord) -> str:
        return without_query(super().format(record))


def private_handler(stream: Any = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(PrivateFormatter(FORMAT))
    return handler


def configure_logging(level: int = logging.INFO, stream: Any = None) -> None:
    """Route this process's logs, warnings and uncaught exceptions through private handlers.

    Handlers a server configured already (gunicorn's ``logconfig_dict``) get the private formatter;
    otherwise the root logger gets one private handler on ``stream`` (stderr).
    """
    root = logging.getLogger()
    if root.handlers:
        make_private(root.handlers)
    else:
        root.addHandler(private_handler(stream))
        root.setLevel(level)
    # SpiffWorkflow logs every task's change of state at INFO: noise that costs each request time, and
    # task names are the diagram's, shown to nobody through a log. Its warnings and errors still come.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    warnings.showwarning = _log_warning
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


def make_private(handlers: list[logging.Handler]) -> None:
    """Give handlers another library set up (Celery's, gunicorn's) the private formatter."""
    for handler in handlers:
        kept = handler.formatter._fmt if handler.formatter is not None else None  # their line layout
        handler.setFormatter(PrivateFormatter(kept or FORMAT))


class WithheldTaskError(logging.Filter):
    """Celery's "Task … raised unexpected: OperationalError('…')" quotes the exception: keep its type."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict) and "exc" in record.args:
            exc_type = record.exc_info[0] if record.exc_info else None
            withheld = f"{exc_type.__name__ if exc_type else 'error'} (message withheld)"
            record.args = {**record.args, "exc": withheld, "traceback": ""}
        return True


def _log_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int, *_: Any, **__: Any
) -> None:
    logging.getLogger("py.warnings").warning("%s at %s:%d", category.__name__, filename, lineno)


def _log_uncaught(exc_type: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("casepath").critical("uncaught %s", exc_type.__name__, exc_info=(exc_type, value, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    summary = exception_summary(args.exc_type, args.exc_traceback)
    logging.getLogger("casepath").critical(
        "uncaught %s in thread %s\n%s", args.exc_type.__name__, name, summary
    )

"""gunicorn settings: ``gunicorn -c python:web.gunicorn_conf web.wsgi:app`` (the Dockerfile's command).

The access log names the path without its query string (``%(U)s``, not ``%(r)s``): a case search
``/cases?q=…`` carries a name. Neither the referrer (another page's query string) nor the user agent
is logged. Every log line, gunicorn's own errors included, goes through the private formatter
(``engine.private_logs``): exception types and frames, never their messages.
"""

from __future__ import annotations

import os

from engine.private_logs import FORMAT

bind = os.environ.get("CASEPATH_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("CASEPATH_WEB_WORKERS", "3"))
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)s'
access_log_format = ACCESS_LOG_FORMAT
accesslog = "-"
errorlog = "-"

_PRIVATE = "engine.private_logs.PrivateFormatter"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.error": {
            "level": "INFO",
            "handlers": ["error"],
            "propagate": False,
            "qualname": "gunicorn.error",
        },
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["access"],
            "propagate": False,
            "qualname": "gunicorn.access",
        },
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "private", "stream": "ext://sys.stderr"},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    "formatters": {
        "private": {"()": _PRIVATE, "fmt": FORMAT},
        "access": {"()": _PRIVATE, "fmt": "%(message)s"},
    },
}

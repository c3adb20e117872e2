"""The WSGI entry point for production servers: ``gunicorn -c python:web.gunicorn_conf web.wsgi:app``."""

from __future__ import annotations

from engine.private_logs import configure_logging
from web.app import create_app

configure_logging()
app = create_app()

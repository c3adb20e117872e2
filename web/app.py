"""The Flask app factory."""

from __future__ import annotations

from flask import Flask

from engine.config import Settings, load_settings
from engine.services import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(settings.instance_dir), instance_relative_config=False)
    app.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=settings.max_upload_bytes)
    app.extensions["casepath"] = services or Services.from_settings(settings)

    from web import health

    app.register_blueprint(health.bp)
    return app

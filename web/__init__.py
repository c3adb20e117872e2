"""Casepath's web adapter: Flask app factory, blueprints and templates over engine services."""

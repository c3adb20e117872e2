"""Celery adapter: the app factory and thin tasks that call one engine service each."""

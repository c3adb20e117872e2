"""Casepath engine: the domain, the SpiffWorkflow adapter and the services.

This package must not import Flask or Celery; ``web`` and ``tasks`` adapt to it.
"""

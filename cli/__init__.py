"""The ``casepath`` command line: an adapter over engine services (see cli/main.py)."""

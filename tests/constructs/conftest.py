"""Fixtures for the construct tests: the engine tests' world (a centre, staff, a small pathway)."""

from tests.engine.conftest import committed_world, world

__all__ = ["committed_world", "world"]

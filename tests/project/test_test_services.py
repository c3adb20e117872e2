"""The test suite's own services: each checkout keeps to the Redis database its environment names."""

from __future__ import annotations

from tests.tasks.conftest import redis_db_url


def test_a_redis_url_naming_its_database_keeps_it() -> None:
    assert redis_db_url("redis://127.0.0.1:6379/7", 11) == "redis://127.0.0.1:6379/7"


def test_a_redis_url_without_a_database_gets_the_test_one() -> None:
    assert redis_db_url("redis://127.0.0.1:6379", 11) == "redis://127.0.0.1:6379/11"
    assert redis_db_url("redis://127.0.0.1:6379/0", 11) == "redis://127.0.0.1:6379/11"

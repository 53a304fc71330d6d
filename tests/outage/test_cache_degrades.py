"""The Redis cache degrades to the process's memory while Redis is down (config/cache.py)."""

import logging
import time

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from config import cache as resilient
from procedures.caching import SharedVersionedValue
from tests.dossiers import dossier_in


@pytest.fixture
def redis_cache(settings, own_redis, monkeypatch):
    monkeypatch.setattr(resilient, "RETRY_SECONDS", 0.3)
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "degrade-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    yield own_redis
    resilient._breakers.clear()


def wait_for_retry():
    time.sleep(resilient.RETRY_SECONDS + 0.1)


def test_an_outage_is_logged_once_and_answered_from_memory(redis_cache, caplog):
    cache.set("kept", "in redis")
    redis_cache.stop()

    with caplog.at_level(logging.WARNING, logger="config.cache"):
        assert cache.get("kept") is None  # not in this process's memory: a miss, no error
        assert cache.degraded
        cache.set("during", "in memory")
        assert cache.get("during") == "in memory"
        assert cache.add("attempts", 1)
        assert cache.incr("attempts") == 2
        assert cache.get_or_set("computed", lambda: 42) == 42
    assert [r.message.startswith("Cache unreachable") for r in caplog.records] == [True]

    redis_cache.start()
    wait_for_retry()
    with caplog.at_level(logging.WARNING, logger="config.cache"):
        assert cache.get("kept") == "in redis"  # back to Redis (persisted across the restart)
    assert not cache.degraded
    assert caplog.records[-1].message.startswith("Cache reachable again")


@pytest.mark.django_db
def test_a_shared_value_is_rebuilt_from_the_database_during_an_outage(redis_cache):
    builds = []

    def build():
        builds.append(1)
        return len(builds)

    value = SharedVersionedValue("degrade-test-value", build, max_staleness=0)
    assert value.get() == 1
    assert value.get() == 1  # version unchanged: the copy is kept

    redis_cache.stop()
    assert value.get() == 2  # version unknown: rebuilt
    value.invalidate()  # cannot reach Redis: remembered
    redis_cache.start()
    wait_for_retry()

    other_process_copy = SharedVersionedValue("degrade-test-value", build, max_staleness=0)
    other_process_copy._version = cache.get("degrade-test-value")  # built before the outage
    other_process_copy._value = "stale"
    value.get()  # deletes the version key it could not delete during the outage
    assert other_process_copy.get() != "stale"


@pytest.mark.django_db
def test_the_public_look_up_keeps_a_per_process_limit_during_an_outage(
    redis_cache, world, settings
):
    settings.PUBLIC_LOOKUP_RATE_PER_CLIENT = "3/min"
    dossier = dossier_in(world, "completed", at=timezone.now())
    redis_cache.stop()
    api = APIClient()

    statuses = [
        api.get(f"/api/v1/public/dossiers/{dossier.code}/", {"id_last4": "1234"}).status_code
        for _ in range(4)
    ]

    assert statuses == [200, 200, 200, 429]

"""Broker and cache URLs: together from REDIS_URL or apart, always through the resilient pieces."""

import json

from tests.config.test_security import production_env, run

SHOW = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.CACHES['default']['BACKEND'], s.CACHES['default'].get('LOCATION'), "
    "s.CELERY_BROKER_URL, getattr(s, 'CELERY_BROKER_TRANSPORT', None), "
    "s.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'], s.CELERY_TASK_ALWAYS_EAGER]))"
)


def settings_with(**env):
    result = run(["-c", SHOW], production_env(**{"DEBUG": "true", "REDIS_URL": None, **env}))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_redis_url_gives_the_resilient_cache_and_the_broker_transport():
    assert settings_with(REDIS_URL="redis://cache-and-broker:6379/0") == [
        "config.cache.ResilientRedisCache",
        "redis://cache-and-broker:6379/0",
        "redis://cache-and-broker:6379/0",
        "config.broker:Transport",
        900,
        False,
    ]


def test_broker_and_cache_may_be_separate():
    backend, cache_url, broker_url, transport, _timeout, eager = settings_with(
        REDIS_URL="redis://both:6379/0",
        CACHE_URL="redis://cache:6379/1",
        BROKER_URL="redis://broker:6379/2",
        BROKER_VISIBILITY_TIMEOUT="600",
    )
    assert (backend, cache_url, broker_url) == (
        "config.cache.ResilientRedisCache",
        "redis://cache:6379/1",
        "redis://broker:6379/2",
    )
    assert transport == "config.broker:Transport" and not eager


def test_no_redis_gives_memory_and_eager_tasks():
    assert settings_with() == [
        "django.core.cache.backends.locmem.LocMemCache",
        None,
        "memory://",
        None,
        900,
        True,
    ]

"""Process-local copies of small tables, rebuilt when any process says the table changed.

The unit tree and the working-day calendar are read on every transition and change a few times a
year. Each process keeps its own built copy and checks one version key in the shared cache (Redis in
production) to know when to rebuild. While the cache is unreachable (`cache.degraded`, see
config/cache.py) the version cannot be known, so the copy is rebuilt from the database whenever it
is older than `max_staleness`, and a version key this process could not delete is deleted once
the cache is back.
"""


import threading
import time
import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


class SharedVersionedValue(Generic[T]):
    """A value built from the database, shared by version key.

    Another process's change is seen within `max_staleness` seconds; this process's own change
    at once.
    """

    def __init__(self, key: str, build: Callable[[], T], max_staleness: float = 1.0):
        self.key = key
        self._build = build
        self._max_staleness = max_staleness
        self._lock = threading.Lock()
        self._version: str | None = None
        self._value: T | None = None
        self._checked_at = 0.0
        self._delete_pending = False

    def get(self) -> T:
        value = self._value
        if value is not None and time.monotonic() - self._checked_at < self._max_staleness:
            return value
        if self._delete_pending:
            self._delete_shared()
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, uuid.uuid4().hex, timeout=None)
            version = cache.get(self.key)
        if getattr(cache, "degraded", False):
            version = None  # unknown: rebuild now, and again after the outage
        with self._lock:
            if version is None or version != self._version or self._value is None:
                self._value = self._build()
                self._version = version
            self._checked_at = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        """Drop every process's copy now and again once the surrounding transaction commits."""
        self._drop()
        transaction.on_commit(self._drop)

    def _drop(self) -> None:
        self._delete_shared()
        with self._lock:
            self._version = None
            self._value = None

    def _delete_shared(self) -> None:
        cache.delete(self.key)
        self._delete_pending = getattr(cache, "degraded", False)

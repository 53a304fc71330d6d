"""A Redis cache that degrades to this process's memory while Redis cannot be reached.

Everything the cache holds (the public look-up and login counters, metrics read caches, the
version keys of the unit tree and calendar) can be rebuilt, so an outage must not fail a
request: the error is logged once, the call is answered from a per-process memory cache, and
Redis is tried again every `RETRY_SECONDS`. While degraded, `cache.degraded` is true, so callers
whose correctness needs the shared cache (procedures.caching) can tell.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0


class _Breaker:
    """Whether Redis at one location is down; shared by every thread of the process."""

    def __init__(self):
        self.down_until = 0.0
        self.lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.down_until

    def trip(self, location: str, error: Exception) -> None:
        with self.lock:
            first = self.down_until == 0.0
            self.down_until = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning(
                "Cache unreachable (%s): answering from this process's memory, retrying "
                "every %s s: %s",
                location,
                RETRY_SECONDS,
                error,
            )

    def close(self, location: str) -> None:
        if self.down_until:
            with self.lock:
                self.down_until = 0.0
            logger.warning("Cache reachable again (%s)", location)


_breakers: dict[str, _Breaker] = {}
_breakers_lock = threading.Lock()


def _breaker(location: str) -> _Breaker:
    with _breakers_lock:
        return _breakers.setdefault(location, _Breaker())


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._location = str(server)
        self._breaker = _breaker(self._location)
        # LocMemCache instances with one name share their storage within the process.
        self._local = LocMemCache(
            f"motcua-fallback:{self._location}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "KEY_PREFIX": self.key_prefix},
        )

    @property
    def degraded(self) -> bool:
        return self._breaker.is_open()

    def _call(self, name: str, *args, **kwargs):
        if not self._breaker.is_open():
            try:
                result = getattr(RedisCache, name)(self, *args, **kwargs)
            except RedisError as error:
                self._breaker.trip(self._location, error)
            else:
                self._breaker.close(self._location)
                return result
        return getattr(self._local, name)(*args, **kwargs)

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        self._local.clear()
        return self._call("clear")

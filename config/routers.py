"""Read replicas: which database each query goes to (only with DATABASE_REPLICA_URLS).

Reads go to a replica only inside a web request that
- is a GET or HEAD of one of the heavy read views (REPLICA_VIEWS: metrics and their exports, the
  dashboard and its exports, accountability reports, the dossier, inspection and finding lists
  and pages),
- by a user whose role is leader or inspector (REPLICA_ROLES), once that user is known (session
  or API token),
- who has not written in this request, nor in the last `pin_seconds()` (a cookie, and a marker in
  the shared cache for clients that drop cookies), and outside any transaction on the primary,
- and only while the replica answers and its replay is at most DATABASE_REPLICA_MAX_LAG seconds
  behind (read by each process at most every DATABASE_REPLICA_CHECK_SECONDS).
Everything else, writes, Celery tasks and management commands included, uses the primary
(`default`); migrations run on the primary only. A replica that is down or lagging costs no error:
the request reads from the primary; one failing under a GET (stopped, or a query cancelled by a
replay conflict) has that request served again from the primary.

Read-your-writes: a write committed at T is on a replica whose lag is L at every moment after
T + L. Reads from a replica happen only while its lag, read at most CHECK seconds earlier, was at
most MAX_LAG, so pinning the writer to the primary for MAX_LAG + CHECK seconds is enough.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from contextlib import ExitStack
from contextvars import ContextVar
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger(__name__)

# The views whose GET/HEAD reads may go to a replica (URL names, namespace included).
REPLICA_VIEWS = frozenset(
    {
        # metrics (their ?format=csv / xlsx exports included)
        "v1:metrics-units",
        "v1:metrics-blocks",
        "v1:metrics-rankings",
        "v1:metrics-trend",
        "v1:metrics-processing-time",
        # accountability reports
        "v1:accountability-staff",
        "v1:accountability-units",
        "v1:accountability-late-dossiers",
        # lists and pages
        "v1:dossier-list",
        "v1:dossier-detail",
        "v1:dossier-history",
        "v1:inspection-list",
        "v1:inspection-detail",
        "v1:inspection-history",
        "v1:inspection-findings",
        "v1:finding-list",
        "v1:finding-detail",
        # the leaders' dashboard and its exports
        "dashboard",
        "dashboard-unit",
        "dashboard-unit-export",
        "dashboard-dossier",
        # the desk's queue and dossier page
        "desk:queue",
        "desk:dossier",
    }
)
# Whose reads may go to a replica (procedures.models.OVERSIGHT_ROLES).
REPLICA_ROLES = frozenset({"leader", "inspector"})
SAFE_METHODS = frozenset({"GET", "HEAD"})

# The cookie (and cache key) keeping a client that wrote on the primary until a time (epoch s).
PIN_COOKIE = "motcua_primary_until"
PIN_CACHE_KEY = "replica:primary-until:{user_id}"

# A replica's replay delay in seconds: 0 when it has replayed everything it received and is
# streaming; otherwise the age of the last transaction it replayed (Infinity: none yet).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
    ELSE COALESCE(
        EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()),
        'Infinity'
    )
END
"""


def pin_seconds() -> float:
    """How long a client that wrote reads from the primary."""
    return settings.DATABASE_REPLICA_MAX_LAG + settings.DATABASE_REPLICA_CHECK_SECONDS


class ReplicaHealth:
    """Per process: each replica's last lag reading (inf = unreachable), trusted for CHECK s."""

    def __init__(self):
        self._lock = threading.Lock()
        self._readings: dict[str, tuple[float, float]] = {}  # alias → (read at, lag)

    def forget(self) -> None:
        with self._lock:
            self._readings.clear()

    def mark_down(self, alias: str) -> None:
        with self._lock:
            self._readings[alias] = (time.monotonic(), math.inf)

    def lag(self, alias: str) -> float:
        now = time.monotonic()
        with self._lock:
            reading = self._readings.get(alias)
        if reading and now - reading[0] < settings.DATABASE_REPLICA_CHECK_SECONDS:
            return reading[1]
        lag = measure_lag(alias)
        with self._lock:
            self._readings[alias] = (time.monotonic(), lag)
        return lag

    def usable(self, alias: str) -> bool:
        return self.lag(alias) <= settings.DATABASE_REPLICA_MAX_LAG


def measure_lag(alias: str) -> float:
    """The replica's replay delay in seconds, or inf when it cannot be asked."""
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as error:
        logger.warning("read replica %s unreachable, reading from the primary: %s", alias, error)
        connection.close_if_unusable_or_obsolete()
        return math.inf
    return float(lag)


health = ReplicaHealth()


def _known_user(request):
    """The request's user if already resolved (session or API token), without a query."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = user._wrapped
        if user is empty:
            return None
    return user


class RequestRouting:
    """Where one request reads from; decided once its user is known."""

    def __init__(self, request):
        self.request = request
        self.eligible = False  # a GET/HEAD of one of REPLICA_VIEWS
        self.wrote = False
        self.decided: str | None = None
        self.lost: str | None = None  # the replica that failed under this request
        try:
            self.pinned = float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
        except ValueError:
            self.pinned = False

    def read_alias(self) -> str:
        if self.wrote or not self.eligible or self.pinned:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a transaction on the primary reads its own writes
        if self.decided is None:
            user = _known_user(self.request)
            if user is None:
                return DEFAULT_DB_ALIAS  # not yet: authentication reads from the primary
            self.decided = self._decide(user)
        return self.decided

    def _decide(self, user) -> str:
        if not getattr(user, "is_authenticated", False):
            return DEFAULT_DB_ALIAS
        if getattr(user, "effective_role", user.role) not in REPLICA_ROLES:
            return DEFAULT_DB_ALIAS
        until = cache.get(PIN_CACHE_KEY.format(user_id=user.pk))
        if until is not None and until > time.time():
            return DEFAULT_DB_ALIAS
        replicas = list(settings.DATABASE_REPLICAS)
        random.shuffle(replicas)
        for alias in replicas:
            if not health.usable(alias):
                continue
            try:
                # A replica stopped since the last reading: found here, not by the view's query.
                connections[alias].close_if_health_check_failed()
                connections[alias].ensure_connection()
            except DatabaseError as error:
                logger.warning("read replica %s unreachable: %s", alias, error)
                health.mark_down(alias)
                continue
            return alias
        return DEFAULT_DB_ALIAS

    def pin(self, response) -> None:
        """Keep this client (and its user) on the primary for pin_seconds()."""
        seconds = pin_seconds()
        until = time.time() + seconds
        response.set_cookie(
            PIN_COOKIE,
            f"{until:.3f}",
            max_age=math.ceil(seconds),
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            cache.set(PIN_CACHE_KEY.format(user_id=user.pk), until, math.ceil(seconds))


_routing: ContextVar[RequestRouting | None] = ContextVar("replica_routing", default=None)


class ReplicaRouter:
    """Reads: the request's choice (RequestRouting), else the primary. Writes: the primary."""

    def db_for_read(self, model, **hints):
        routing = _routing.get()
        if routing is None or not settings.DATABASE_REPLICAS:
            return DEFAULT_DB_ALIAS
        return routing.read_alias()

    def db_for_write(self, model, **hints):
        routing = _routing.get()
        if routing is not None:
            routing.wrote = True  # this request, and this client for a while, read the primary
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The primary and its replicas hold the same rows.
        same = {DEFAULT_DB_ALIAS, *settings.DATABASE_REPLICAS}
        if obj1._state.db in same and obj2._state.db in same:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaRoutingMiddleware:
    """Opens each request's routing; pins a client that wrote (or posted) to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.DATABASE_REPLICAS:
            return self.get_response(request)
        routing = RequestRouting(request)
        token = _routing.set(routing)
        try:
            with ExitStack() as watching:
                for alias in settings.DATABASE_REPLICAS:
                    watching.enter_context(
                        connections[alias].execute_wrapper(partial(_watch, routing, alias))
                    )
                response = self.get_response(request)
            if routing.lost is not None and not routing.wrote:
                # The replica failed under this GET (stopped, or a query cancelled by a replay
                # conflict): the same request again, on the primary.
                logger.warning(
                    "read replica %s failed mid-request, reading %s from the primary",
                    routing.lost,
                    request.path,
                )
                routing.decided, routing.lost = DEFAULT_DB_ALIAS, None
                response = self.get_response(request)
            if routing.wrote or request.method not in SAFE_METHODS:
                routing.pin(response)
        finally:
            _routing.reset(token)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        routing = _routing.get()
        match = request.resolver_match
        if (
            routing is not None
            and request.method in SAFE_METHODS
            and match is not None
            and match.view_name in REPLICA_VIEWS
        ):
            routing.eligible = True


def _watch(routing, alias, execute, sql, params, many, context):
    """Around each query on a replica: a failure marks the replica down for this process (the
    next requests read from the primary) and this request to be served again."""
    try:
        return execute(sql, params, many, context)
    except DatabaseError:
        if routing.decided == alias:  # not the lag reading, which handles its own failure
            health.mark_down(alias)
            routing.lost = alias
        raise

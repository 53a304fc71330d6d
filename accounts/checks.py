"""Settings that cannot be correct in production: refused by `manage.py check` and at start-up."""

from django.conf import settings
from django.core import checks

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@checks.register("motcua")
def shared_cache_when_not_debugging(app_configs=None, **kwargs):
    """With DEBUG off the cache must be shared by every process (REDIS_URL or CACHE_URL).

    A per-process cache cannot be correct with several workers: a change to the unit tree or
    the working-day calendar would not reach the other processes (their copies are rebuilt when
    a version key in the shared cache changes), and the sign-in and look-up limits would count
    per process. (API tokens do not depend on it: they are read from the database.)
    """
    if settings.DEBUG:
        return []
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_CACHES:
        return []
    return [
        checks.Error(
            f"DEBUG is off and the cache is per process ({backend}).",
            hint="Set REDIS_URL (or CACHE_URL) so every worker shares the cache.",
            id="motcua.E001",
        )
    ]

"""Shared set-up for the benchmarks: a PostgreSQL database of their own, filled once."""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench"
# The million-dossier database shared by the API, metrics and accountability benchmarks, so it is
# generated once; the transitions benchmark keeps its 100k database.
MILLION_URL = "postgres://postgres@127.0.0.1:5432/motcua_bench_1m"


def setup_django(default_url: str = DEFAULT_URL) -> str:
    """Point Django at BENCH_DATABASE_URL (created if missing), migrate, and return the URL."""
    url = os.environ.get("BENCH_DATABASE_URL", default_url)
    if not url.startswith("postgres"):
        sys.exit("The benchmarks run on PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    _create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if os.environ.get("BENCH_PRIORITY"):
        claim_cpu()
    return url


PRIORITY = -19


def claim_cpu() -> None:
    """BENCH_PRIORITY=1: run this process, and every PostgreSQL backend it connects to, at nice
    -19 (needs root), so that on a machine shared with other jobs the figures approach those of a
    quiet machine: the scheduler gives the benchmark's processes the cores first. Disk and the
    other jobs' locks and cache use still weigh; say so with the figures."""
    from django.db.backends.signals import connection_created

    os.setpriority(os.PRIO_PROCESS, 0, PRIORITY)

    def renice_backend(sender, connection, **kwargs):
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            os.setpriority(os.PRIO_PROCESS, cursor.fetchone()[0], PRIORITY)

    connection_created.connect(renice_backend, weak=False)
    from django.db import connections

    for each in connections.all():
        if each.connection is not None:
            renice_backend(None, each)
    print(f"BENCH_PRIORITY: this process and its database backends at nice {PRIORITY}")


def _create_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def ensure_dossiers(count: int, units: int = 0, generator: str | None = None) -> None:
    """Generate dossiers until the database holds at least `count`.

    `generator` (default: the BENCH_GENERATOR environment variable, else "fast"): "fast" is
    `generate_dossiers --fast`, set-based SQL on PostgreSQL; "python" the row-by-row generator
    (Python rows and COPY), the one the figures before the fast generator were measured with.
    """
    from django.core.management import call_command

    from procedures.models import Dossier

    generator = generator or os.environ.get("BENCH_GENERATOR", "fast")
    if generator not in ("fast", "python"):
        sys.exit(f"BENCH_GENERATOR must be fast or python, not {generator!r}")
    have = Dossier.objects.count()
    if have >= count:
        print(f"database holds {have:,} dossiers (wanted {count:,})")
        return
    print(f"generating {count - have:,} dossiers ({generator} generator) ...", flush=True)
    started = time.perf_counter()
    call_command(
        "generate_dossiers",
        count=count - have,
        units=units,
        fast=generator == "fast",
        no_progress=False,
        verbosity=0,
    )
    print(f"generated in {time.perf_counter() - started:.1f} s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]



def https(client_class):
    """Django's (or DRF's) test client whose every request arrives over HTTPS: the benchmarks run
    with DEBUG off, where SECURE_SSL_REDIRECT answers a plain-HTTP request with a redirect."""

    class HttpsClient(client_class):
        def generic(self, method, path, *args, secure=True, **kwargs):
            return super().generic(method, path, *args, secure=True, **kwargs)

    return HttpsClient

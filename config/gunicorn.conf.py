"""gunicorn's configuration, shipped: the Dockerfile and compose start `gunicorn -c
config/gunicorn.conf.py config.wsgi:application`, and bench/api.py starts the same file.

Sizing rule: gthread workers, `WEB_WORKERS` = 2 × cores + 1 processes (the cores this container
may use), each with `WEB_THREADS` = 2 threads. A request spends about half of its time waiting on
PostgreSQL or Redis, so two threads keep a process's core busy while one waits, and the extra
processes cover a worker blocked in a slow request; more threads per process only contend for the
GIL. Each thread keeps its own database connection (CONN_MAX_AGE): plan PostgreSQL's
max_connections for workers × threads per web container, plus the Celery workers.
"""

import os

_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS") or 2 * (_cores or 1) + 1)
threads = int(os.environ.get("WEB_THREADS") or 2)
# Keep client (proxy) connections open between requests, as a reverse proxy reuses them.
keepalive = int(os.environ.get("WEB_KEEPALIVE") or 60)
# A worker stuck longer than this is restarted (a request never legitimately takes a minute).
timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
graceful_timeout = 30
# Logs to the container's output.
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")

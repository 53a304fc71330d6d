"""Deployment settings: read replicas (one alias each, the router, PostgreSQL required), PgBouncer,
Celery queues."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def _settings_with(**env):
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.DATABASE_REPLICAS, settings.DATABASE_ROUTERS, "
        "[settings.DATABASES[a]['PORT'] for a in settings.DATABASE_REPLICAS])"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_replica_urls_make_one_alias_each_and_need_postgresql():
    primary = "postgres://postgres@127.0.0.1:5432/motcua"
    two = _settings_with(
        DATABASE_URL=primary,
        DATABASE_REPLICA_URLS="postgres://r@10.0.0.2:5433/motcua, postgres://r@10.0.0.3:5434/motcua",
    )
    assert two.returncode == 0, two.stderr
    assert two.stdout.split("\n")[0] == (
        "['replica1', 'replica2'] ['config.routers.ReplicaRouter'] [5433, 5434]"
    )
    none = _settings_with(DATABASE_URL=primary, DATABASE_REPLICA_URLS="")
    assert none.stdout.split("\n")[0] == "[] [] []", none.stderr
    sqlite = _settings_with(
        DATABASE_URL="sqlite:///x.sqlite3", DATABASE_REPLICA_URLS="postgres://r@h:5433/motcua"
    )
    assert sqlite.returncode != 0
    assert "DATABASE_REPLICA_URLS needs PostgreSQL" in sqlite.stderr


def test_behind_pgbouncer_no_server_side_cursor_prepared_statement_or_startup_option():
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print([(a, d.get('DISABLE_SERVER_SIDE_CURSORS'), sorted(d['OPTIONS'].items())) "
        "for a, d in settings.DATABASES.items()])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://u@pgbouncer:6432/motcua",
        "DATABASE_REPLICA_URLS": "postgres://u@pgbouncer-replica:6432/motcua",
    }
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DATABASE_PGBOUNCER": "true"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[0] == (
        "[('default', True, [('prepare_threshold', None)]), "
        "('replica1', True, [('connect_timeout', 2), ('prepare_threshold', None)])]"
    )
    direct = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    # Directly: the hot paths' statements are prepared once per connection (core.rows).
    assert direct.stdout.split("\n")[0] == (
        "[('default', False, [('options', '-c jit=off'), ('prepare_threshold', 5)]), "
        "('replica1', False, [('connect_timeout', 2), ('options', '-c jit=off'), "
        "('prepare_threshold', 5)])]"
    ), direct.stderr


def test_split_queues_send_notices_and_batch_jobs_to_their_own_workers():
    code = (
        "import django; django.setup(); from config.celery import app; "
        "import procedures.tasks, digitization.tasks; "
        "names = ['procedures.tasks.send_notice', 'procedures.tasks.send_pending_notices', "
        "'digitization.tasks.refresh_metrics', 'procedures.tasks.flag_overdue_dossiers', "
        "'procedures.tasks.flag_due_soon', 'procedures.tasks.unknown']; "
        "print([app.amqp.router.route({}, n)['queue'].name for n in names])"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    split = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "CELERY_SPLIT_QUEUES": "true"},
        capture_output=True,
        text=True,
    )
    assert split.returncode == 0, split.stderr
    assert split.stdout.split("\n")[-2] == (
        "['notices', 'notices', 'batch', 'batch', 'batch', 'celery']"
    )
    one = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert one.stdout.split("\n")[-2] == str(["celery"] * 6)

"""DATABASE_REPLICA_URLS: one alias per replica, the router installed, PostgreSQL required."""

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

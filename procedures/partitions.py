"""Monthly partitions of the transition log on PostgreSQL.

On PostgreSQL the log (`DossierTransition`) is a table partitioned by range of its time `at`:
one partition per month of the office time zone (settings.TIME_ZONE), named
`procedures_dossiertransition_yYYYYmMM`, and a DEFAULT partition for any row outside them (a
date far in the past or future). Its primary key is (id, at), as PostgreSQL requires the
partition key in it; `id` stays unique in practice (one identity sequence), and Django, which
only reads and inserts by `id`, is none the wiser. On SQLite the log is a plain table and every
function here does nothing.

- `convert_log(to_partitioned=...)`: the migration, copying the rows into the new table.
- `create_partitions_ahead()`: the month partitions from this month to `LOG_PARTITIONS_AHEAD`
  months ahead (the daily Celery beat job, `manage.py create_log_partitions`, the migration),
  and those of the months whose rows went to the DEFAULT partition (written before their month
  was made: a backfill, the benchmark generator), the rows moved into them.
- `detach_partitions(before=...)`: detach the months before a month, to archive them (each
  detached partition stays a plain table; `pg_dump -t` it, then drop it). Their entries are no
  longer part of the log the application reads.

A query that bounds `at` reads only the partitions of its period (partition pruning): the log
of a period, and a dossier's history, which starts at its receipt (`dossier_history`).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from procedures.models import DossierTransition

LOG = DossierTransition._meta.db_table
DEFAULT_PARTITION = f"{LOG}_default"
INDEX = "transition_dossier_at_id"


def _execute(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.description:
            return cursor.fetchall()
        return None


def applies() -> bool:
    return connection.vendor == "postgresql"


def is_partitioned() -> bool:
    if not applies():
        return False
    rows = _execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [LOG])
    return bool(rows) and rows[0][0] == "p"


def month_of(value: date) -> date:
    return date(value.year, value.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def add_months(month: date, count: int) -> date:
    for _ in range(count):
        month = next_month(month)
    return month


def partition_name(month: date) -> str:
    return f"{LOG}_y{month.year}m{month.month:02d}"


def _bound(month: date) -> str:
    start = datetime(month.year, month.month, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))
    return f"'{start.isoformat()}'"


def partitions() -> list[tuple[str, date]]:
    """The month partitions attached to the log, as (name, month), in order."""
    rows = _execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
        [LOG],
    )
    found = []
    for (name,) in rows:
        suffix = name.removeprefix(f"{LOG}_y")
        if suffix != name and len(suffix) == 7 and suffix[4] == "m":
            found.append((name, date(int(suffix[:4]), int(suffix[5:]), 1)))
    return found


def create_partition(month: date, *, parent: str = LOG) -> bool:
    """The partition of `month`, with the rows of that month the DEFAULT partition held moved
    into it; False when it was already there."""
    month = month_of(month)
    name = partition_name(month)
    if _execute("SELECT to_regclass(%s)", [name])[0][0] is not None:
        return False
    low, high = _bound(month), _bound(next_month(month))
    with transaction.atomic():
        _execute(
            f"CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
            "INCLUDING STORAGE)"
        )
        _execute(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE at >= {low} AND at < {high} "
            f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"
        )
        _execute(
            f"ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES FROM ({low}) TO ({high})"
        )
    return True


def create_partitions_ahead(
    *, today: date | None = None, ahead: int | None = None, since: date | None = None
) -> list[str]:
    """The partitions from this month (or the month of `since`) to `ahead` months later that
    were missing; their names."""
    if not is_partitioned():
        return []
    today = today or timezone.localdate()
    held = _default_months(today)
    if held:
        since = min(since or today, held[0])
        last = max(add_months(month_of(today), _ahead(ahead)), held[1])
        ahead = _months_between(month_of(today), last)
    return _create_months(since=since, today=today, ahead=ahead, parent=LOG)


def _ahead(ahead):
    return settings.LOG_PARTITIONS_AHEAD if ahead is None else ahead


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month


def _default_months(today: date) -> tuple[date, date] | None:
    """The first and last month of the rows the DEFAULT partition holds within ten years of
    `today` (entries written before their month was made: a backfill, a generator), or None."""
    low = _bound(date(today.year - 10, today.month, 1))
    high = _bound(date(today.year + 10, today.month, 1))
    first, last = _execute(
        f"SELECT MIN(at), MAX(at) FROM {DEFAULT_PARTITION} WHERE at >= {low} AND at < {high}"
    )[0]
    if first is None:
        return None
    return month_of(timezone.localtime(first).date()), month_of(timezone.localtime(last).date())


def _create_months(*, since, today, ahead, parent) -> list[str]:
    today = today or timezone.localdate()
    ahead = _ahead(ahead)
    month, created = month_of(min(since or today, today)), []
    last = add_months(month_of(today), ahead)
    while month <= last:
        if create_partition(month, parent=parent):
            created.append(partition_name(month))
        month = next_month(month)
    return created


def detach_partitions(*, before: date) -> list[str]:
    """Detach the month partitions of the months before `before`; their names."""
    if not is_partitioned():
        return []
    detached = []
    for name, month in partitions():
        if month < month_of(before):
            _execute(f"ALTER TABLE {LOG} DETACH PARTITION {name}")
            detached.append(name)
    return detached


# --- the migration ------------------------------------------------------------------------------


def convert_log(*, to_partitioned: bool) -> None:
    """Turn the log into a partitioned table (or back into a plain one), with its rows, its
    identity, its indexes and its foreign keys; partitions for every month it holds rows of and
    those ahead. A no-op when it already is (or elsewhere than on PostgreSQL)."""
    if not applies() or is_partitioned() == to_partitioned:
        return
    old, new = f"{LOG}_old", f"{LOG}_new"
    foreign_keys = _execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f'",
        [LOG],
    )
    # Its other indexes (the actor's, of its foreign key), made again on the new table.
    indexes = _execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary "
        "AND i.indexrelid IS DISTINCT FROM to_regclass(%s)",
        [LOG, INDEX],
    )
    next_id, first = _execute(f"SELECT COALESCE(MAX(id), 0) + 1, MIN(at) FROM {LOG}")[0]
    _execute(f"ALTER TABLE {LOG} RENAME TO {old}")
    _execute(
        f"CREATE TABLE {new} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING STORAGE INCLUDING IDENTITY)"
        + (" PARTITION BY RANGE (at)" if to_partitioned else "")
    )
    _execute(f"ALTER TABLE {new} ALTER COLUMN id RESTART WITH {int(next_id)}")
    if to_partitioned:
        _execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {new} DEFAULT")
        since = timezone.localtime(first).date() if first else None
        _create_months(since=since, today=None, ahead=None, parent=new)
    _execute(f"INSERT INTO {new} SELECT * FROM {old}")
    sequence = _execute("SELECT pg_get_serial_sequence(%s, 'id')", [old])[0][0]
    _execute(f"DROP TABLE {old}")
    _execute(f"ALTER TABLE {new} RENAME TO {LOG}")
    new_sequence = _execute("SELECT pg_get_serial_sequence(%s, 'id')", [LOG])[0][0]
    if sequence and new_sequence and sequence != new_sequence:
        _execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {sequence.split('.')[-1]}")
    key = "(id, at)" if to_partitioned else "(id)"
    _execute(f"ALTER TABLE {LOG} ADD CONSTRAINT {LOG}_pkey PRIMARY KEY {key}")
    _execute(f"CREATE INDEX {INDEX} ON {LOG} (dossier_id, at, id)")
    for (definition,) in indexes:
        _execute(definition.replace(" ON ONLY ", " ON ", 1))
    for name, definition in foreign_keys:
        _execute(f"ALTER TABLE {LOG} ADD CONSTRAINT {name} {definition}")
    _execute(f"ANALYZE {LOG}")

#!/usr/bin/env bash
# A PostgreSQL streaming replica of the local primary, for the read-replica tests and for trying
# DATABASE_REPLICA_URLS on a development machine. Run as root (or as the postgres user).
#
#   .ci/replica.sh start    # make it (pg_basebackup -R) when missing or broken, start, wait until it streams
#   .ci/replica.sh stop     # stop it (its data directory is kept; `start` resumes streaming)
#   .ci/replica.sh status   # running? streaming? replay delay in seconds
#   .ci/replica.sh remove   # stop it, delete its data directory and its replication slot
#
# Then: DATABASE_REPLICA_URLS=postgres://postgres@127.0.0.1:5433/<database>
#
# The replica is a physical copy of the whole cluster (every database of the primary, a test
# database created later included) and replays all the primary's WAL: stop it when you do not
# need it, it costs the primary's benchmarks disk and CPU. It streams through a replication slot
# (motcua_replica_<port>) so that it can stop and resume: the primary keeps the WAL it has not
# received, at most max_slot_wal_keep_size (set to 8GB when unbounded; REPLICA_MAX_SLOT_WAL);
# `remove` drops the slot. The primary needs wal_level replica (PostgreSQL's default) and
# max_wal_senders > 0; the script adds the replication line for 127.0.0.1 to the primary's
# pg_hba.conf when missing (and reloads it).
set -euo pipefail

PRIMARY_HOST="${REPLICA_PRIMARY_HOST:-127.0.0.1}"
PRIMARY_PORT="${REPLICA_PRIMARY_PORT:-5432}"
PORT="${REPLICA_PORT:-5433}"
DIR="${REPLICA_DIR:-/tmp/motcua-replica-${PORT}}"
SLOT="motcua_replica_${PORT}"
MAX_SLOT_WAL="${REPLICA_MAX_SLOT_WAL:-8GB}"
PGBIN="${PGBIN:-/usr/lib/postgresql/$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)/bin}"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
primary_sql() { psql -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres -d postgres -tAXc "$1"; }
replica_sql() { psql -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAXc "$1"; }
running() { as_postgres "$PGBIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; }
streaming() {
  [ "$(replica_sql "SELECT pg_is_in_recovery() AND EXISTS (
      SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" = t ]
}

check_primary() {
  pg_isready -q -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" || { echo "primary not ready" >&2; exit 1; }
  local level senders
  level=$(primary_sql "SHOW wal_level")
  senders=$(primary_sql "SHOW max_wal_senders")
  if [ "$level" = minimal ] || [ "$senders" -lt 1 ]; then
    echo "the primary needs wal_level=replica and max_wal_senders>0 (restart it after)" >&2
    exit 1
  fi
  # The replica's slot keeps the WAL it has not received yet (it would otherwise be recycled
  # while the replica is stopped or behind, and the replica could not resume); bounded, so that a
  # replica left stopped cannot fill the primary's disk.
  if [ "$(primary_sql "SHOW max_slot_wal_keep_size")" = "-1" ]; then
    echo "bounding the WAL kept for replication slots: max_slot_wal_keep_size = $MAX_SLOT_WAL"
    primary_sql "ALTER SYSTEM SET max_slot_wal_keep_size = '$MAX_SLOT_WAL'" >/dev/null
    primary_sql "SELECT pg_reload_conf()" >/dev/null
  fi
  local hba
  hba=$(primary_sql "SHOW hba_file")
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    echo "adding 'host replication all 127.0.0.1/32 trust' to $hba"
    printf '\n# streaming replicas on this machine (motcua .ci/replica.sh)\nhost replication all 127.0.0.1/32 trust\n' >>"$hba"
    primary_sql "SELECT pg_reload_conf()" >/dev/null
  fi
}

drop_slot() {
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
    WHERE slot_name = '$SLOT' AND NOT active" >/dev/null
}

# The slot was invalidated (max_slot_wal_keep_size) or WAL the replica needs is gone.
lost_wal() {
  [ "$(primary_sql "SELECT COALESCE((SELECT wal_status = 'lost' FROM pg_replication_slots
      WHERE slot_name = '$SLOT'), true)")" = t ] ||
    grep -q "has already been removed" "$DIR/server.log" 2>/dev/null
}

make_replica() {
  echo "making the replica in $DIR (pg_basebackup from $PRIMARY_HOST:$PRIMARY_PORT)"
  rm -rf "$DIR"
  mkdir -p "$DIR"
  chown postgres:postgres "$DIR" 2>/dev/null || true
  chmod 700 "$DIR"
  drop_slot
  primary_sql "SELECT pg_create_physical_replication_slot('$SLOT', true)" >/dev/null || return 1
  as_postgres "$PGBIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U postgres \
    -D "$DIR" -R -X stream -c fast -S "$SLOT" || return 1
  # Debian keeps the configuration outside the data directory: the replica gets its own. A hot
  # standby needs these at least as high as on the primary.
  local setting
  {
    echo "# motcua read replica (.ci/replica.sh)"
    echo "port = $PORT"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$DIR'"
    echo "hot_standby = on"
    echo "shared_buffers = 64MB"
    echo "jit = off"
    echo "log_min_messages = warning"
    for setting in max_connections max_worker_processes max_wal_senders \
      max_prepared_transactions max_locks_per_transaction; do
      echo "$setting = $(primary_sql "SHOW $setting")"
    done
  } >"$DIR/postgresql.conf"
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' \
    >"$DIR/pg_hba.conf"
  : >"$DIR/pg_ident.conf"
  chown postgres:postgres "$DIR/postgresql.conf" "$DIR/pg_hba.conf" "$DIR/pg_ident.conf" 2>/dev/null || true
}

start_replica() {
  as_postgres "$PGBIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start >/dev/null
}

wait_streaming() {
  for _ in $(seq 1 "${1:-30}"); do
    streaming && return 0
    lost_wal && return 1
    sleep 1
  done
  return 1
}

cmd_start() {
  check_primary
  if running && streaming; then
    echo "replica on 127.0.0.1:$PORT is streaming"
    return 0
  fi
  if [ -f "$DIR/PG_VERSION" ] && [ -f "$DIR/standby.signal" ] && ! lost_wal; then
    : >"$DIR/server.log"
    running || start_replica || true
    if wait_streaming 120; then
      echo "replica on 127.0.0.1:$PORT is streaming"
      return 0
    fi
    echo "the replica in $DIR does not stream (WAL it needs removed?): making it again"
    running && as_postgres "$PGBIN/pg_ctl" -D "$DIR" -m immediate -w stop >/dev/null
  fi
  # Another session's immediate checkpoint can invalidate the backup's new slot before its WAL
  # is reserved (PostgreSQL 15 logs "invalidating slot ... exceeds max_slot_wal_keep_size"):
  # a few attempts.
  local attempt
  for attempt in 1 2 3 4; do
    make_replica && break
    [ "$attempt" = 4 ] && exit 1
    sleep 3
  done
  start_replica
  if ! wait_streaming 120; then
    echo "the replica started but does not stream; see $DIR/server.log" >&2
    tail -20 "$DIR/server.log" >&2 || true
    exit 1
  fi
  echo "replica on 127.0.0.1:$PORT is streaming"
}

cmd_stop() {
  if running; then
    as_postgres "$PGBIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null
    echo "replica on 127.0.0.1:$PORT stopped"
  else
    echo "replica on 127.0.0.1:$PORT not running"
  fi
}

cmd_status() {
  if ! running; then
    echo "replica on 127.0.0.1:$PORT not running ($DIR)"
    return 3
  fi
  replica_sql "SELECT 'in recovery: ' || pg_is_in_recovery()
    || ', receiver: ' || COALESCE((SELECT status FROM pg_stat_wal_receiver), 'none')
    || ', replay delay: ' || COALESCE(EXTRACT(EPOCH FROM now()
         - pg_last_xact_replay_timestamp())::numeric(12, 3)::text, '?') || ' s'"
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  remove) cmd_stop; rm -rf "$DIR"; drop_slot; echo "removed $DIR and the slot $SLOT" ;;
  *) echo "usage: $0 start|stop|status|remove" >&2; exit 2 ;;
esac

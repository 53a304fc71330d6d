"""Transitions through the services, as a request makes them, against the fastest correct SQL.

    python bench/transitions.py [--per-block 300] [--blocks 5] [--workers 4] [--threads]
                                [--actions accept,forward,propose,sign]

For each action, three sides move dossiers of their own, from `--workers` processes each
(forked, as gunicorn's workers are; `--threads`: threads of one process instead), in `--blocks`
blocks whose order rotates (each side first in turn), so all see the same machine load; each
block gives a ratio (services rate / raw rate of that block), and the median ratio is printed
with its spread (min-max). Target: services >= 0.5 x raw SQL.

- services: what the API view does for `POST /dossiers/{code}/{action}/` short of parsing and
  rendering JSON: read the dossier by code through the view's own `get_object` (scoped to the
  actor, with procedure, unit, handler and components: what the response shows), then
  `documents.services.perform_action` (role, unit and state checks, the condition, django-fsm,
  the version-checked write and the log row, and for `accept` and `sign` the applicant's notice
  row, its sender woken after the commit).
- raw SQL, the same work in the fewest round trips (two, in autocommit): read the dossier by
  code and unit with what the response shows (one SELECT, a row per component), check its state,
  then one statement: the update checked against the version read (and the state, the unit and
  the condition in its WHERE), the log row, and for `accept` and `sign` the notice row; then, as
  the wake-up of the sender, one SET NX on Redis.
- floor (printed for reference, not the target's yardstick): one statement per dossier without
  the read: find the row by code, check and update it, insert the log and notice rows; then the
  SET NX. It does less than a request must (nothing to show, no version read).

Deadlines on acceptance are SQL intervals on both raw sides (the working-day calendar has no SQL
equivalent): the raw sides are a floor there.

Actions: `accept` (online dossier, applicant with an email: the receipt notice), `forward`
(condition: every required component digitized), `propose`, `sign` (result attached; the
result-ready notice; with RESULT_SIGNATURE_REQUIRED off here, the transition without the PAdES
cryptography, which bench/documents.py measures).

Database: BENCH_DATABASE_URL (default motcua_bench, 100k dossiers, generated when missing); the
dossiers used are put in the source state first (the benchmark's own database). Redis:
REDIS_URL (default redis://127.0.0.1:6379/0) as broker, as shipped; the wake-up tasks stay
queued there (no worker runs) and are removed at the end.
"""

import argparse
import functools
import json
import multiprocessing
import os
import statistics
import threading
import time
from types import SimpleNamespace

from _setup import ensure_dossiers, setup_django

OPINION = "Đủ điều kiện, đề nghị phê duyệt"
EMAIL = "nguoi.dan@example.vn"
STEP = "('intake','appraisal','approval','signing','delivery')"

# The actions that write a notice to the applicant (who has an email here), then publish it.
NOTIFYING = ("accept", "sign")
# action: (source state, role of the actor, arguments, floor statement)
# Floor statements take (code, unit_id, actor_id, payload) and return the moved dossier's id.
RAW = {
    "accept": (
        "submitted",
        "clerk",
        {},
        "WITH moved AS (UPDATE procedures_dossier SET state = 'intake', handler_id = %(actor)s, "
        "accepted_at = now(), due_at = now() + interval '10 days', "
        "intake_due_at = now() + interval '1 day', appraisal_due_at = now() + interval '5 days', "
        "approval_due_at = now() + interval '7 days', signing_due_at = now() + interval '8 days', "
        "delivery_due_at = now() + interval '10 days', version = version + 1, updated_at = now() "
        "WHERE code = %(code)s AND state = 'submitted' AND unit_id = %(unit)s "
        "RETURNING id, applicant_email), "
        "notice AS (INSERT INTO procedures_notice (id, kind, channel, recipient, dossier_id, "
        "subject, body, status, attempts, last_error, created_at, next_attempt_at) "
        "SELECT gen_random_uuid(), 'receipt', 'email', applicant_email, id, '', '', 'pending', 0, "
        "'', now(), now() + interval '1 minute' FROM moved WHERE applicant_email <> '' "
        "RETURNING id) "
        "INSERT INTO procedures_dossiertransition (dossier_id, action, source_state, "
        "target_state, actor_id, at, note, payload) SELECT moved.id, 'accept', 'submitted', "
        "'intake', %(actor)s, now(), '', %(payload)s FROM moved "
        "RETURNING dossier_id, (SELECT id FROM notice)",
    ),
    "forward": (
        "intake",
        "clerk",
        {},
        "WITH moved AS (UPDATE procedures_dossier d SET state = 'appraisal', handler_id = NULL, "
        "version = version + 1, updated_at = now() "
        "WHERE code = %(code)s AND state = 'intake' AND unit_id = %(unit)s AND NOT EXISTS "
        "(SELECT 1 FROM procedures_dossiercomponent c WHERE c.dossier_id = d.id "
        "AND c.required AND c.status = 'pending') RETURNING id) "
        "INSERT INTO procedures_dossiertransition (dossier_id, action, source_state, "
        "target_state, actor_id, at, note, payload) SELECT id, 'forward', 'intake', "
        "'appraisal', %(actor)s, now(), '', %(payload)s FROM moved RETURNING dossier_id",
    ),
    "propose": (
        "appraisal",
        "specialist",
        {"opinion": OPINION},
        "WITH moved AS (UPDATE procedures_dossier SET state = 'approval', "
        "appraisal_opinion = %(opinion)s, handler_id = NULL, version = version + 1, "
        "updated_at = now() WHERE code = %(code)s AND state = 'appraisal' AND unit_id = %(unit)s "
        "RETURNING id) "
        "INSERT INTO procedures_dossiertransition (dossier_id, action, source_state, "
        "target_state, actor_id, at, note, payload) SELECT id, 'propose', 'appraisal', "
        "'approval', %(actor)s, now(), '', %(payload)s FROM moved RETURNING dossier_id",
    ),
    "sign": (
        "signing",
        "approver",
        {},
        "WITH moved AS (UPDATE procedures_dossier SET state = 'delivery', "
        "result_signed_at = now(), result_signed_by_id = %(actor)s, handler_id = NULL, "
        "version = version + 1, updated_at = now() WHERE code = %(code)s AND state = 'signing' "
        "AND unit_id = %(unit)s AND result_file_id IS NOT NULL RETURNING id, applicant_email), "
        "notice AS (INSERT INTO procedures_notice (id, kind, channel, recipient, dossier_id, "
        "subject, body, status, attempts, last_error, created_at, next_attempt_at) "
        "SELECT gen_random_uuid(), 'result_ready', 'email', applicant_email, id, '', '', "
        "'pending', 0, '', now(), now() + interval '1 minute' FROM moved "
        "WHERE applicant_email <> '' RETURNING id) "
        "INSERT INTO procedures_dossiertransition (dossier_id, action, source_state, "
        "target_state, actor_id, at, note, payload) SELECT moved.id, 'sign', 'signing', "
        "'delivery', %(actor)s, now(), '', %(payload)s FROM moved "
        "RETURNING dossier_id, (SELECT id FROM notice)",
    ),
}

# The raw side's read: the dossier by code and unit, with what the response shows (procedure,
# unit, handler, components and their files), a row per component, as the services read it.
READ = (
    "SELECT d.*, p.*, u.*, h.*, c.*, f.* FROM procedures_dossier d "
    "JOIN procedures_procedure p ON p.id = d.procedure_id "
    "JOIN procedures_unit u ON u.id = d.unit_id "
    "LEFT JOIN procedures_user h ON h.id = d.handler_id "
    "LEFT JOIN procedures_dossiercomponent c ON c.dossier_id = d.id "
    "LEFT JOIN digitization_digitizedfile f ON f.id = c.file_id "
    "WHERE d.code = %(code)s AND d.unit_id = %(unit)s ORDER BY c.position, c.id"
)


def checked_write(sql: str) -> str:
    """The floor statement of an action, finding the row by the id and version read instead."""
    assert "WHERE code = %(code)s" in sql
    return sql.replace("WHERE code = %(code)s", "WHERE id = %(id)s AND version = %(version)s")


WAKE_KEY = "bench-raw-wake"
SIDES = ("raw", "services", "floor")


def prepare(action: str, count: int) -> list[tuple[str, int, int]]:
    """`count` dossiers put in the action's source state: (code, unit id, actor id) each."""
    from django.db import connection

    from procedures.models import Dossier, User

    source, role, _arguments, _sql = RAW[action]
    actors = {u.unit_id: u.pk for u in User.objects.filter(role=role, is_active=True)}
    rows = list(
        Dossier.objects.filter(procedure__issues_result=True, unit_id__in=list(actors))
        .order_by("?")
        .values_list("id", "code", "unit_id")[:count]
    )
    if len(rows) < count:
        raise SystemExit(f"need {count} dossiers for {action}, found {len(rows)}")
    ids = [row[0] for row in rows]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM digitization_digitizedfile ORDER BY id LIMIT 1")
        result_file = (cursor.fetchone() or [None])[0]
        if action == "sign" and result_file is None:
            raise SystemExit("no digitized file to attach as the result")
        cursor.execute(
            "UPDATE procedures_dossier SET state = %s, channel = 'online', applicant_email = %s, "
            "handler_id = NULL, completed_at = NULL, paused_at = NULL, "
            "result_signed_at = NULL, result_signed_by_id = NULL, result_file_id = %s, "
            "accepted_at = CASE WHEN %s = 'submitted' THEN NULL ELSE accepted_at END, "
            "due_at = CASE WHEN %s = 'submitted' THEN NULL ELSE due_at END "
            "WHERE id = ANY(%s)",
            [source, EMAIL, result_file if action == "sign" else None, source, source, ids],
        )
        if action == "forward":
            cursor.execute(
                "UPDATE procedures_dossiercomponent SET status = 'reused', reused_from = 'KHO-1' "
                "WHERE dossier_id = ANY(%s) AND required AND status = 'pending'",
                [ids],
            )
        cursor.execute("VACUUM (ANALYZE) procedures_dossier")
    return [(code, unit_id, actors[unit_id]) for _id, code, unit_id in rows]


class Workers:
    """`count` processes forked once (as gunicorn's workers are) that keep their connections
    between blocks (a worker's with CONN_MAX_AGE, a raw side's psycopg connection)."""

    def __init__(self, count: int):
        from django.db import connections

        connections.close_all()  # each process opens its own
        self.count = count
        self.pool = multiprocessing.get_context("fork").Pool(count)

    def run(self, side: str, action: str, url: str, redis_url: str, work: list) -> float:
        chunks = [work[i :: self.count] for i in range(self.count)]
        started = time.perf_counter()
        self.pool.map(
            functools.partial(in_worker, side, action, url, redis_url), chunks, chunksize=1
        )
        return time.perf_counter() - started


_jobs = {}


def make_job(side: str, action: str, url: str, redis_url: str, keep: bool):
    if side == "services":
        return service_job(action, keep=keep)
    return raw_job(url, action, redis_url, keep=keep, read=side == "raw")


def in_worker(side: str, action: str, url: str, redis_url: str, chunk: list) -> None:
    """In a pool process: the side's job for `action`, made once per process."""
    job = _jobs.get((side, action))
    if job is None:
        job = _jobs[side, action] = make_job(side, action, url, redis_url, keep=True)
    job(chunk)


def run_threads(threads: int, work: list, job) -> float:
    chunks = [work[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads + 1)
    errors = []

    def run(chunk):
        try:
            barrier.wait()
            job(chunk)
        except Exception as error:  # reported below
            errors.append(error)

    pool = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def service_job(action: str, keep: bool = False):
    from django.db import connection

    from documents.services import perform_action
    from procedures.api.views import DossierViewSet
    from procedures.models import User

    _source, _role, arguments, _sql = RAW[action]
    users = {}

    def job(chunk) -> None:
        try:
            for code, _unit, actor_id in chunk:
                actor = users.get(actor_id)
                if actor is None:  # a worker keeps no user between requests: read it once per
                    actor = users[actor_id] = User.objects.get(pk=actor_id)  # thread here (token)
                view = DossierViewSet(action=action, kwargs={"code": code})
                view.request = SimpleNamespace(user=actor)
                dossier = view.get_object()
                perform_action(dossier=dossier, actor=actor, action=action, note="", **arguments)
        finally:
            if not keep:
                connection.close()

    return job


def raw_job(url: str, action: str, redis_url: str, keep: bool = False, read: bool = True):
    """The raw SQL side (`read`: the read, then the version-checked write) or the floor."""
    import psycopg
    import redis

    source, _role, arguments, floor = RAW[action]
    write = checked_write(floor) if read else floor
    payload = json.dumps(arguments)
    kept = {}

    def job(chunk) -> None:
        queue = kept.get("queue") or redis.Redis.from_url(redis_url)
        conn = kept.get("conn") or psycopg.connect(url, autocommit=True)
        if keep:
            kept.update(queue=queue, conn=conn)
        try:
            for code, unit_id, actor_id in chunk:
                values = {
                    "code": code,
                    "unit": unit_id,
                    "actor": actor_id,
                    "payload": payload,
                    **arguments,
                }
                if read:
                    cursor = conn.execute(READ, values)
                    rows = cursor.fetchall()
                    if not rows:
                        raise AssertionError(f"raw {action}: {code} not found")
                    if "columns" not in kept:
                        names = [column.name for column in cursor.description]
                        kept["columns"] = tuple(names.index(n) for n in ("id", "version", "state"))
                    at_id, at_version, at_state = kept["columns"]
                    if rows[0][at_state] != source:
                        raise AssertionError(f"raw {action}: {code} is {rows[0][at_state]}")
                    values.update(id=rows[0][at_id], version=rows[0][at_version])
                row = conn.execute(write, values).fetchone()
                if row is None:
                    raise AssertionError(f"raw {action} did not move {code}")
                if action in NOTIFYING:
                    queue.set(WAKE_KEY, 1, nx=True, ex=60)
        finally:
            if not keep:
                conn.close()

    return job


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--per-block", type=int, default=300, help="dossiers per side per block")
    parser.add_argument("--blocks", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4, help="per side")
    parser.add_argument(
        "--threads",
        action="store_true",
        help="threads of this process instead of processes (Python's lock then serializes the "
        "services' Python, as no deployment does: gunicorn runs processes)",
    )
    parser.add_argument("--actions", default="accept,forward,propose,sign")
    args = parser.parse_args()

    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["RESULT_SIGNATURE_REQUIRED"] = "false"
    url = setup_django()
    ensure_dossiers(args.dossiers)
    redis_url = os.environ["REDIS_URL"]

    from procedures.models import Dossier

    print(
        f"dossiers: {Dossier.objects.count():,}; {args.workers} "
        f"{'threads' if args.threads else 'processes'} per side; {args.blocks} blocks of "
        f"{args.per_block} per side; load average {os.getloadavg()[0]:.1f}"
    )
    pools = {} if args.threads else {side: Workers(args.workers) for side in SIDES}
    warm = 2 * args.workers  # per side: each process's first transitions of an action, untimed

    def run(name: str, action: str, chunk: list) -> float:
        if args.threads:
            job = make_job(name, action, url, redis_url, keep=False)
            return run_threads(args.workers, chunk, job)
        return pools[name].run(name, action, url, redis_url, chunk)

    summary = []
    try:
        for action in args.actions.split(","):
            summary.append(measure(action, args, warm, run))
    finally:
        import redis

        redis.Redis.from_url(redis_url).delete(WAKE_KEY)
    print()
    print(
        f"{'action':<9} {'raw/s':>7} {'services/s':>11} {'ratio median':>13}  spread     "
        f"{'floor/s':>8} {'services/floor':>15}"
    )
    for action, median, low, high, rates, floor_ratio in summary:
        print(
            f"{action:<9} {statistics.median(rates['raw']):7.0f} "
            f"{statistics.median(rates['services']):11.0f} {median:13.2f}  {low:.2f}-{high:.2f}  "
            f"{statistics.median(rates['floor']):8.0f} {floor_ratio:15.2f}"
        )
    print("(rates: medians of the blocks; target: ratio median >= 0.50)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


def measure(action: str, args, warm: int, run):
    """The blocks of one action: each side's rate per block and the ratios."""
    from procedures.models import Dossier

    per_side = args.per_block * args.blocks
    work = prepare(action, len(SIDES) * (per_side + warm))
    share = per_side + warm
    chunks = {side: work[i * share : (i + 1) * share] for i, side in enumerate(SIDES)}
    for side in SIDES:
        run(side, action, chunks[side][:warm])
    chunks = {side: chunk[warm:] for side, chunk in chunks.items()}
    ratios, floor_ratios, rates = [], [], {side: [] for side in SIDES}
    for block in range(args.blocks):
        part = slice(block * args.per_block, (block + 1) * args.per_block)
        order = SIDES[block % len(SIDES) :] + SIDES[: block % len(SIDES)]
        got = {}
        for side in order:
            chunk = chunks[side][part]
            got[side] = len(chunk) / run(side, action, chunk)
            rates[side].append(got[side])
        ratios.append(got["services"] / got["raw"])
        floor_ratios.append(got["services"] / got["floor"])
        print(
            f"  {action:<8} block {block + 1}: raw {got['raw']:6.0f}/s  services "
            f"{got['services']:6.0f}/s  ratio {ratios[-1]:.2f}  (floor {got['floor']:6.0f}/s, "
            f"services/floor {floor_ratios[-1]:.2f}; load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    for side in SIDES:
        moved = Dossier.objects.filter(code__in=[c for c, _u, _a in chunks[side]]).exclude(
            state=RAW[action][0]
        )
        assert moved.count() == per_side, f"{side} moved {moved.count()} of {per_side}"
    return (
        action,
        statistics.median(ratios),
        min(ratios),
        max(ratios),
        rates,
        statistics.median(floor_ratios),
    )


if __name__ == "__main__":
    main()

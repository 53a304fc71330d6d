"""Transitions through the services against the same work in raw SQL, on PostgreSQL.

    python bench/transitions.py [--dossiers 100000] [--transitions 20000] [--threads 4]

Each side moves `--transitions` dossiers from appraisal to approval ("propose") from N threads,
one transaction per dossier: the services (row lock and version check, role/unit/state checks,
the django-fsm transition, update, log row) against raw psycopg doing only the row lock, the
update and the log insert (5 round trips with BEGIN and COMMIT). The dossiers the services act on
are loaded before the clock starts, as an API view holds the copy it read. Prints both rates and
their ratio; the target is services >= 0.5 × raw SQL. For reference it also prints raw SQL
sending the same work as the single statement the services use on PostgreSQL.
"""

import argparse
import json
import threading
import time

from _setup import ensure_dossiers, setup_django

OPINION = "Đủ điều kiện, đề nghị phê duyệt"


def prepare(count: int) -> tuple[list[int], list[int], list[int]]:
    """Put 3 × count dossiers back in appraisal: for the services, raw SQL, and the reference."""
    from django.db import connection

    from procedures.models import Dossier, DossierState

    ids = list(
        Dossier.objects.filter(procedure__issues_result=True)
        .order_by("id")
        .values_list("id", flat=True)[: count * 3]
    )
    if len(ids) < count * 3:
        raise SystemExit(f"need {count * 3} dossiers, have {len(ids)}")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procedures_dossier SET state = %s, completed_at = NULL, paused_at = NULL "
            "WHERE id = ANY(%s)",
            [DossierState.APPRAISAL.value, ids],
        )
    return ids[:count], ids[count : count * 2], ids[count * 2 :]


def run_threads(threads: int, work: list[int], job) -> float:
    chunks = [work[i::threads] for i in range(threads)]
    barrier = threading.Barrier(threads + 1)
    errors = []

    def run(chunk):
        try:
            barrier.wait()
            job(chunk)
        except Exception as error:
            errors.append(error)

    pool = [threading.Thread(target=run, args=(chunk,)) for chunk in chunks]
    for thread in pool:
        thread.start()
    barrier.wait()
    started, cpu = time.perf_counter(), time.process_time()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    print(f"  client CPU {1000 * (time.process_time() - cpu) / len(work):.2f} ms per transition")
    if errors:
        raise errors[0]
    return elapsed


def load_dossiers(ids: list[int]) -> dict:
    """The copies the callers (API views) would hold: loaded before the clock starts."""
    from procedures.models import Dossier, Role, User

    specialists = {u.unit_id: u for u in User.objects.filter(role=Role.SPECIALIST)}
    loaded = {}
    for start in range(0, len(ids), 5000):
        loaded.update(
            Dossier.objects.select_related("procedure").in_bulk(ids[start : start + 5000])
        )
    return {pk: (dossier, specialists[dossier.unit_id]) for pk, dossier in loaded.items()}


def service_job(loaded: dict):
    def job(chunk: list[int]) -> None:
        from django.db import connection

        from procedures import services

        try:
            for dossier_id in chunk:
                dossier, specialist = loaded[dossier_id]
                services.propose_decision(dossier=dossier, actor=specialist, opinion=OPINION)
        finally:
            connection.close()

    return job


def raw_job(url: str):
    import psycopg

    def job(chunk: list[int]) -> None:
        # autocommit: each `conn.transaction()` below is then BEGIN ... COMMIT. Without it the
        # first SELECT opens a transaction, every block is only a savepoint in it, and the
        # whole chunk commits once at the end (which made raw SQL look 2-3 times faster).
        with psycopg.connect(url, autocommit=True) as conn:
            actors = dict(
                conn.execute(
                    "SELECT unit_id, id FROM procedures_user WHERE role = 'specialist'"
                ).fetchall()
            )
            for dossier_id in chunk:
                with conn.transaction():
                    unit_id, state = conn.execute(
                        "SELECT unit_id, state FROM procedures_dossier WHERE id = %s FOR UPDATE",
                        [dossier_id],
                    ).fetchone()
                    conn.execute(
                        "UPDATE procedures_dossier SET state = 'approval', appraisal_opinion = %s, "
                        "handler_id = NULL, updated_at = now() WHERE id = %s",
                        [OPINION, dossier_id],
                    )
                    conn.execute(
                        "INSERT INTO procedures_dossiertransition "
                        "(dossier_id, action, source_state, target_state, actor_id, at, note, "
                        "payload) VALUES (%s, 'propose', %s, 'approval', %s, now(), '', %s)",
                        [dossier_id, state, actors[unit_id], json.dumps({"opinion": OPINION})],
                    )

    return job


def raw_single_statement_job(url: str):
    """For reference: the lock, update and insert as one statement, as the services send them."""
    import psycopg

    def job(chunk: list[int]) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            actors = dict(
                conn.execute(
                    "SELECT unit_id, id FROM procedures_user WHERE role = 'specialist'"
                ).fetchall()
            )
            units = dict(
                conn.execute(
                    "SELECT id, unit_id FROM procedures_dossier WHERE id = ANY(%s)", [chunk]
                ).fetchall()
            )
            for dossier_id in chunk:
                conn.execute(
                    "WITH moved AS (UPDATE procedures_dossier SET state = 'approval', "
                    "appraisal_opinion = %s, handler_id = NULL, updated_at = now(), "
                    "version = version + 1 WHERE id = %s AND state = 'appraisal' RETURNING id) "
                    "INSERT INTO procedures_dossiertransition "
                    "(dossier_id, action, source_state, target_state, actor_id, at, note, payload) "
                    "SELECT id, 'propose', 'appraisal', 'approval', %s, now(), '', %s FROM moved",
                    [
                        OPINION,
                        dossier_id,
                        actors[units[dossier_id]],
                        json.dumps({"opinion": OPINION}),
                    ],
                )

    return job


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--transitions", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    url = setup_django()
    ensure_dossiers(args.dossiers)
    service_ids, raw_ids, reference_ids = prepare(args.transitions)

    from procedures.models import Dossier

    print("raw SQL: lock, update, insert")
    raw_seconds = run_threads(args.threads, raw_ids, raw_job(url))
    print("services")
    service_seconds = run_threads(
        args.threads, service_ids, service_job(load_dossiers(service_ids))
    )
    print("reference: raw SQL as one statement")
    reference_seconds = run_threads(args.threads, reference_ids, raw_single_statement_job(url))

    moved = Dossier.objects.filter(id__in=service_ids, state="approval").count()
    assert moved == len(service_ids), f"only {moved} of {len(service_ids)} moved"
    raw_rate = len(raw_ids) / raw_seconds
    service_rate = len(service_ids) / service_seconds
    rows = [
        ("raw SQL (psycopg)", raw_rate, len(raw_ids), raw_seconds),
        ("services (django-fsm)", service_rate, len(service_ids), service_seconds),
    ]
    print(f"dossiers in database:      {Dossier.objects.count():,}")
    print(f"threads:                   {args.threads}")
    for label, rate, count, seconds in rows:
        print(f"{label + ':':26} {rate:8.0f} transitions/s  ({count:,} in {seconds:.1f} s)")
    print(f"services / raw SQL:        {service_rate / raw_rate:8.2f}   (target >= 0.50)")
    reference_rate = len(reference_ids) / reference_seconds
    print(
        f"reference, one statement:  {reference_rate:8.0f} transitions/s  "
        f"(services / it: {service_rate / reference_rate:.2f})"
    )


if __name__ == "__main__":
    main()

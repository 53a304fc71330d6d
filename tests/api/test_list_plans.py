"""How PostgreSQL answers the dossier list: a name search finds the page's ids from an index.

The name (like the unit, state and channel) is in the index on received_at, so the rows passed
over while filling a page are never read; only the page's rows are, by primary key.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from procedures.models import Dossier, DossierState
from tests.dossiers import dossier_in, new_dossier
from tests.plans import plan_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_name_search_finds_its_page_from_the_covering_index_without_reading_the_rows(api, world):
    for unit in (world.unit, world.other_unit, world.unit):
        new_dossier(world, unit=unit, actor=world.admin)
    api.as_(world.admin)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/dossiers/", {"q": "Nguyễn Văn"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    (listing,) = [q["sql"] for q in queries.captured_queries if "procedures_dossier" in q["sql"]]
    plan = plan_of(listing)
    assert "Index Only Scan using dossier_received_search" in plan, plan
    # the name is compared once, where the ids are found; the rows read are the page's (by
    # primary key, or joined to those ids on these three-row test tables)
    assert plan.count("applicant_name_search") == 1, plan
    assert "procedures_dossier_pkey" in plan or "ANY_subquery" in plan, plan


def listing_sql(api, user, params) -> str:
    api.as_(user)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/dossiers/", params)
    assert response.status_code == 200, response.content
    (listing,) = [q["sql"] for q in queries.captured_queries if "procedures_dossier" in q["sql"]]
    return listing, response.json()["results"]


def test_the_overdue_list_finds_its_page_from_the_index_of_flagged_late_dossiers(api, world):
    """overdue=true reads the dossiers the deadline job flagged (or finished late) from a partial
    index holding little else, and the late ones not flagged yet by due time: the open dossiers
    not yet due are never passed over. Both parts are in the list, newest first."""
    from procedures import services

    now = timezone.now()
    flagged = dossier_in(world, DossierState.APPRAISAL)
    Dossier.objects.filter(pk=flagged.pk).update(due_at=now - timedelta(days=2))
    services.flag_overdue_dossiers()  # the job's run: flagged is marked late
    dossier_in(world, DossierState.APPRAISAL)  # in a step, not due yet
    not_flagged = dossier_in(world, DossierState.APPROVAL)  # late since the job's last run
    Dossier.objects.filter(pk=not_flagged.pk).update(due_at=now - timedelta(minutes=5))
    finished_late = dossier_in(world, DossierState.COMPLETED)
    Dossier.objects.filter(pk=finished_late.pk).update(
        due_at=F("completed_at") - timedelta(days=1)
    )
    assert Dossier.objects.get(pk=flagged.pk).overdue_since is not None
    assert Dossier.objects.get(pk=not_flagged.pk).overdue_since is None

    listing, rows = listing_sql(api, world.admin, {"overdue": "true"})
    newest_first = Dossier.objects.filter(
        pk__in=[flagged.pk, not_flagged.pk, finished_late.pk]
    ).order_by("-received_at", "-id")
    assert [row["code"] for row in rows] == [d.code for d in newest_first]
    plan = plan_of(listing)
    assert "Index Only Scan using dossier_flagged_late_received" in plan, plan
    assert "dossier_deadline_watch" in plan, plan
    assert "procedures_dossier_pkey" in plan, plan

    # paging through it (one row a page) gives the same rows, each once
    api.as_(world.admin)
    seen, url = [], "/api/v1/dossiers/?overdue=true&page_size=1"
    while url:
        page = api.get(url).json()
        seen += [row["code"] for row in page["results"]]
        url = page["next"]
    assert seen == [d.code for d in newest_first]


def test_the_code_prefix_search_uses_the_one_pattern_index_left_on_code(api, world):
    dossier = new_dossier(world, actor=world.admin)
    listing, rows = listing_sql(api, world.admin, {"q": dossier.code[:12]})
    assert dossier.code in [row["code"] for row in rows]
    plan = plan_of(listing)
    assert "dossier_code_prefix" not in plan, plan
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'procedures_dossier' "
            "AND indexdef LIKE '%%(code varchar_pattern_ops)%%'"
        )
        (only,) = cursor.fetchall()
    assert only[0].endswith("_like"), only
    assert only[0] in plan, plan


def test_the_name_search_statistics_keep_the_frequent_names(db):
    """The planner chooses between walking the received_at index and the trigram index by how
    frequent the pattern is: the searched column (the stored capitals) keeps 1,000 most common
    values, and the trigram index is built on it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'procedures_dossier'::regclass AND attname = 'applicant_name_search'"
        )
        assert cursor.fetchone()[0] == 1000
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'dossier_name_search_trgm'"
        )
        assert "gin (applicant_name_search gin_trgm_ops)" in cursor.fetchone()[0]
        cursor.execute("SELECT to_regclass('dossier_applicant_trgm')")
        assert cursor.fetchone()[0] is None


def test_the_name_search_compares_the_stored_capitals(api, world):
    """`q` matches part of the name whatever its case (Vietnamese letters included), against the
    stored capitals: UPPER() is not evaluated on the rows."""
    dossier = new_dossier(world, actor=world.admin)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_full_name="Trần Thị Ánh Tuyết")
    other = new_dossier(world, actor=world.admin)
    assert Dossier.objects.get(pk=dossier.pk).applicant_name_search == "TRẦN THỊ ÁNH TUYẾT"
    for pattern in ("ánh tuyết", "ÁNH TUYẾT", "Thị Ánh"):
        listing, rows = listing_sql(api, world.admin, {"q": pattern})
        assert [row["code"] for row in rows] == [dossier.code], pattern
    assert other.code not in [row["code"] for row in rows]
    assert "upper(\"procedures_dossier\".\"applicant_full_name\"" not in listing.lower()
    listing, rows = listing_sql(api, world.admin, {"q": "50%_"})  # LIKE's wildcards are literal
    assert rows == []


@pytest.mark.parametrize(
    ("param", "index"),
    [("unit", "dossier_unit_received"), ("procedure", "dossier_procedure_received")],
)
def test_a_unit_or_procedure_list_reads_its_page_in_index_order_without_sorting(
    api, world, param, index
):
    """The code names one unit (procedure): it is compared as an id found by a subquery, so the
    newest come in the order of the (unit | procedure, received_at) index and the page stops at
    its last row; joined by code, every dossier of the period was read and sorted."""
    mine = [new_dossier(world, unit=world.unit, actor=world.admin) for _ in range(3)]
    new_dossier(world, unit=world.other_unit, actor=world.admin)
    code = world.unit.code if param == "unit" else mine[0].procedure.code
    listing, results = listing_sql(api, world.admin, {param: code})
    expected = Dossier.objects.filter(**{f"{param}__code": code}).order_by("-received_at", "-id")
    assert [row["code"] for row in results] == [d.code for d in expected]
    plan = plan_of(listing)
    inner = plan[plan.index("Limit"):]  # the page's ids
    assert f"Index Only Scan using {index}" in inner or f"Index Scan using {index}" in inner, plan
    assert "Sort" not in inner.split("->  Index")[0], plan

    _, none = listing_sql(api, world.admin, {param: "no-such-code"})
    assert none == []

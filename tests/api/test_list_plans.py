"""How PostgreSQL answers the dossier list: a name search finds the page's ids from an index.

The name (like the unit, state and channel) is in the index on received_at, so the rows passed
over while filling a page are never read; only the page's rows are, by primary key.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.dossiers import new_dossier

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        # Small test tables would be read whole; rule that out to see what the indexes allow.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


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
    assert "Index Only Scan using dossier_received" in plan, plan
    # the rows themselves are read by primary key, for the page only
    assert "procedures_dossier_pkey" in plan, plan

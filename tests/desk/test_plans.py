"""How PostgreSQL answers the desk's own questions: from small indexes, without reading rows.

Small test tables would be read whole, so sequential and bitmap scans are ruled out to see what
the indexes allow (as in tests/api/test_list_plans.py).
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from procedures.models import DossierState
from tests.dossiers import dossier_in, new_dossier
from tests.plans import plan_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def page_queries(user, path: str) -> list[str]:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_tab_counts_come_from_an_index_alone(world):
    """Which of the two indexes holding (unit, state) the planner takes depends on the table's
    statistics, which earlier tests leave behind (at 1M it is dossier_open_unit_state, 1.5 ms);
    the property that matters is that no dossier row is read: with plain index scans ruled out
    too, the count must still have a plan, an index-only one."""
    for unit in (world.unit, world.other_unit, world.unit):
        new_dossier(world, unit=unit, actor=world.admin)
    (counting,) = [sql for sql in page_queries(world.clerk, "/desk/") if "COUNT(*)" in sql]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
    plan = plan_of(counting)
    assert re.search(
        r"Index Only Scan using (dossier_open_unit_state|dossier_unit_state_due)", plan
    ), plan


def test_a_citizens_papers_to_reuse_are_found_by_the_id_number_index(world):
    dossier = dossier_in(world, DossierState.INTAKE)
    queries = page_queries(world.clerk, f"/desk/dossiers/{dossier.code}/")
    (reuse,) = [sql for sql in queries if "applicant_id_number" in sql.split("WHERE", 1)[-1]]
    plan = plan_of(reuse)
    assert "dossier_applicant_id" in plan, plan

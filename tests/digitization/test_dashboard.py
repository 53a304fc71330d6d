"""The leaders' dashboard page."""

import pytest
import time_machine

from digitization.metrics import recompute_metrics
from tests.digitization.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(march):
    recompute_metrics()
    with time_machine.travel(local(2026, 4, 15, 9)):
        yield march


def test_a_leader_sees_block_totals_and_units_ranked_by_score(client, world, computed):
    client.force_login(world.admin)
    response = client.get("/dashboard/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert response.status_code == 200
    page = response.content.decode()
    # Hồng Gai 35.52 (the block too: Bãi Cháy accepted nothing), Bãi Cháy without a score
    assert page.index("Phường Hồng Gai") < page.index("Phường Bãi Cháy")
    # Vietnamese decimal comma, in the unit's ranking row and in its block's row
    unit_row = page.split('<tr data-unit="000.20.31.H40"')[1].split("</tr>")[0]
    assert '<td class="score">35,52</td>' in unit_row
    block_row = page.split('<tr data-block="commune">')[1].split("</tr>")[0]
    assert "35,52" in block_row
    other_row = page.split('<tr data-unit="000.21.31.H40"')[1].split("</tr>")[0]
    assert '<td class="score">—</td>' in other_row
    assert [each.rank for each in response.context["ranked"]] == [1, None]
    assert "<script" not in page and "http" not in page.split("<body>")[1]


def test_the_dashboard_is_scoped_to_the_leaders_units(client, world, computed):
    client.force_login(world.leader)
    response = client.get("/dashboard/", {"start": "2026-03-01", "end": "2026-03-31"})
    assert [each.row.unit.code for each in response.context["ranked"]] == ["000.20.31.H40"]


def test_the_dashboard_filters_a_block(client, world, computed):
    client.force_login(world.inspector)
    response = client.get("/dashboard/", {"block": "department"})
    assert response.status_code == 200
    assert response.context["ranked"] == []


def test_the_dashboard_shows_a_bad_period_as_an_error(client, world, computed):
    client.force_login(world.leader)
    response = client.get("/dashboard/", {"start": "2026-04-01", "end": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["ranked"] == []


def test_processing_staff_may_not_open_the_dashboard(client, world):
    client.force_login(world.clerk)
    assert client.get("/dashboard/").status_code == 403


def test_the_dashboard_asks_anonymous_users_to_log_in(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]

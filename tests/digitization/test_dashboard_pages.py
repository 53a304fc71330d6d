"""The leaders' dashboard pages: presets, charts, the unit page, the dossier page and exports,
with every figure equal to the metrics API's."""

import io
from datetime import date

import pytest
import time_machine
from openpyxl import load_workbook

from digitization.metrics import recompute_metrics
from procedures.models import Dossier
from tests.digitization.conftest import local

pytestmark = pytest.mark.django_db
MARCH = {"start": "01/03/2026", "end": "31/03/2026"}


@pytest.fixture
def computed(march):
    recompute_metrics()
    with time_machine.travel(local(2026, 4, 15, 9)):
        yield march


def as_shown(value) -> str:
    """An API figure as a chart's data-values carries it (empty when the API gives null)."""
    return "" if value is None else f"{value:.2f}"


def chart_values(page: str, key: str) -> list[str]:
    marker = f'data-chart="{key}" data-values="'
    return page.split(marker)[1].split('"')[0].split(",")


def test_the_charts_draw_the_figures_the_metrics_api_gives(client, world, computed):
    client.force_login(world.admin)
    page = client.get("/dashboard/", {**MARCH, "granularity": "week"}).content.decode()
    api = client.get(
        "/api/v1/metrics/trend/",
        {"from": "2026-03-01", "to": "2026-03-31", "granularity": "week", "indicator": "on_time"},
    ).json()
    expected = [as_shown(p["value"]) for p in api["results"]]
    assert chart_values(page, "trend-on_time") == expected
    ranking = client.get(
        "/api/v1/metrics/rankings/", {"from": "2026-03-01", "to": "2026-03-31"}
    ).json()
    assert chart_values(page, "ranking-score") == [as_shown(r["value"]) for r in ranking["results"]]
    blocks = client.get("/api/v1/metrics/blocks/", {"from": "2026-03-01", "to": "2026-03-31"})
    (block,) = blocks.json()["results"]
    assert chart_values(page, "blocks")[0] == f"{block['score']:.2f}"
    assert "<svg" in page and "<script" not in page


def test_a_preset_reads_this_quarter_and_rank_by_one_indicator(client, world, computed):
    client.force_login(world.admin)
    response = client.get("/dashboard/", {"period": "quarter", "indicator": "online"})
    assert response.status_code == 200
    assert (response.context["start"], response.context["end"]) == (
        date(2026, 4, 1),
        date(2026, 4, 15),
    )
    assert response.context["indicator"] == "online"
    assert 'data-chart="ranking-online"' in response.content.decode()


def test_a_typed_bad_date_is_answered_in_vietnamese_keeping_what_was_typed(client, world, computed):
    client.force_login(world.leader)
    response = client.get(
        "/dashboard/", {"start": "31/02/2026", "end": "15/03/2026"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "dd/mm/yyyy" in page and "Nhập ngày theo dạng" in page
    assert 'value="31/02/2026"' in page and 'value="15/03/2026"' in page
    assert response.context["ranked"] == []


def test_a_unit_page_shows_its_indicators_staff_and_late_dossiers(client, world, computed):
    client.force_login(world.leader)
    response = client.get(f"/dashboard/don-vi/{world.unit.code}/", MARCH)
    assert response.status_code == 200
    api = client.get(
        "/api/v1/metrics/units/",
        {"from": "2026-03-01", "to": "2026-03-31", "unit": world.unit.code},
    ).json()["results"][0]
    row = response.context["row"]
    assert row.counts.received == api["received"]
    assert float(row.values["score"]) == api["score"]
    late = client.get(
        "/api/v1/accountability/late-dossiers/",
        {"from": "2026-03-01", "to": "2026-03-31", "unit": world.unit.code},
    ).json()["results"]
    assert [d.code for d in response.context["late"]] == [d["dossier"] for d in late]
    assert late, "the March fixture has late dossiers"


def test_another_units_page_and_dossier_answer_404_to_a_leader(client, world, computed):
    client.force_login(world.leader)  # leads Hồng Gai only
    assert client.get(f"/dashboard/don-vi/{world.other_unit.code}/").status_code == 404
    other = Dossier.objects.filter(unit=world.other_unit).first()
    assert client.get(f"/dashboard/ho-so/{other.code}/").status_code == 404


def test_the_dossier_page_masks_personal_data_as_the_api_does(client, world, computed):
    dossier = Dossier.objects.filter(unit=world.unit).first()
    client.force_login(world.leader)
    page = client.get(f"/dashboard/ho-so/{dossier.code}/").content.decode()
    api = client.get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert api["applicant"]["id_number"].startswith("*")
    assert api["applicant"]["id_number"] in page
    assert dossier.applicant_id_number not in page
    client.force_login(world.inspector)  # inspectors see it unmasked, in the API and here
    assert (
        dossier.applicant_id_number
        in client.get(f"/dashboard/ho-so/{dossier.code}/").content.decode()
    )


def test_the_unit_pages_late_dossiers_download_as_xlsx(client, world, computed):
    client.force_login(world.leader)
    response = client.get(
        f"/dashboard/don-vi/{world.unit.code}/xuat/tre-han.xlsx",
        {"start": "2026-03-01", "end": "2026-03-31"},
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Mã hồ sơ"
    page = client.get(f"/dashboard/don-vi/{world.unit.code}/", MARCH)
    assert [row[0] for row in rows[1:]] == [d.code for d in page.context["late"]]
    assert client.get(f"/dashboard/don-vi/{world.unit.code}/xuat/khac.xlsx").status_code == 404


def test_processing_staff_may_not_open_the_unit_or_dossier_pages(client, world):
    client.force_login(world.clerk)
    assert client.get(f"/dashboard/don-vi/{world.unit.code}/").status_code == 403
    assert client.get("/dashboard/ho-so/anything/").status_code == 403


def test_an_anonymous_visitor_signs_in_on_the_desk_and_comes_back_to_the_dashboard(client, world):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/desk/login/?next=/dashboard/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Đăng nhập" in page.content.decode()
    world.leader.set_password("mat-khau-dai-2026")
    world.leader.save()
    signed_in = client.post(
        response["Location"], {"username": world.leader.username, "password": "mat-khau-dai-2026"}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200

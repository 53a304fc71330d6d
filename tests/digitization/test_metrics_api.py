"""The leaders' metrics API: numbers worked out by hand from the March fixture (conftest)."""

import csv
import io
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook
from rest_framework.test import APIClient

from digitization.metrics import recompute_metrics
from tests.digitization.conftest import local, make_dossier
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

U, U2 = "000.20.31.H40", "000.21.31.H40"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}

# Unit U over March, by hand (see the fixture and EXPECTED in test_metrics_table.py):
# received a b d e f g h i = 8, online a = 1, digitized a b f g i = 5, reused a e = 2;
# finished a b e f g = 5, on time a g = 2, needing a result a b e f = 4, with it a b f = 3;
# overdue open at the end of 31 March: d (i paused on the 9th, b finished on the 17th) = 1;
# rated a b f = 3, not satisfied a = 1.
U_COUNTS = {
    "received": 8,
    "received_online": 1,
    "digitized": 5,
    "reused": 2,
    "finished": 5,
    "finished_on_time": 2,
    "finished_needing_result": 4,
    "finished_with_result": 3,
    "overdue_open": 1,
    "rated": 3,
    "not_satisfied": 1,
}
# Decision 766 (EXPECTED_NATIONAL in test_metrics_table.py): accepted in March a b d e f g h i = 8;
# ended on time a g h, d still open at the end of March but due on the 17th: 3 on time;
# online with its e-result a = 1; e-result a b f = 3 of 8 of a procedure returning a result;
# digitized (a component file and the result file) a b f = 3; reused a e = 2; disliked a = 1.
U_RATES = {
    "on_time_rate": 37.5,  # 3 / 8
    "online_rate": 12.5,  # 1 / 8
    "e_result_rate": 37.5,  # 3 / 8
    "digitization_rate": 37.5,  # 3 / 8
    "reuse_rate": 25.0,  # 2 / 8
    "satisfaction": 25.0,  # 100 - 100 * (5 late + 1 disliked) / 8
    # national points: 100 * (20*0.375 + 4*(12.5/50) + 6*0.375 + 4*(37.5/80) + 2*(25/80)
    # + 6*(25/90)) / (20 + 4 + 6 + 4 + 2 + 6) = 100 * 14.91667 / 42 = 35.5159...
    "score": 35.52,
    "sync_rate": None,
    "payment_procedures_rate": None,
    "online_payment_rate": None,
}
# Unit U2: one online submission on 2 March, not yet checked: nothing accepted.
U2_RATES = dict.fromkeys(U_RATES)
EMPTY_RATES = dict.fromkeys(U_RATES)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def computed(march):
    recompute_metrics()
    with time_machine.travel(local(2026, 4, 15, 9)):
        yield march


def get(api, user, path, **params):
    api.force_authenticate(user=user)
    return api.get(f"/api/v1/metrics/{path}/", params)


def error_fields(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "invalid", body
    return body["error"]["fields"]


def test_units_give_the_hand_computed_counts_and_rates(api, world, computed):
    response = get(api, world.admin, "units", **MARCH)
    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"]) == ("2026-03-01", "2026-03-31")
    rows = {row["unit"]: row for row in body["results"]}
    assert set(rows) == {U, U2}
    assert {k: rows[U][k] for k in U_COUNTS} == U_COUNTS
    assert {k: rows[U][k] for k in U_RATES} == U_RATES
    assert {k: rows[U2][k] for k in U2_RATES} == U2_RATES
    assert (rows[U]["unit_name"], rows[U]["block"]) == ("Phường Hồng Gai", "commune")


def test_a_period_of_partial_months_reads_the_same_as_the_whole_month(api, world, computed):
    # 20 February to 5 April: February's and April's days from the daily table, March whole
    response = get(api, world.admin, "units", unit=U, **{"from": "2026-02-20", "to": "2026-04-05"})
    (row,) = response.json()["results"]
    assert {k: row[k] for k in U_COUNTS} == U_COUNTS  # nothing happened outside March
    assert {k: row[k] for k in U_RATES} == U_RATES
    # part of March only: 3 to 12 March, overdue at the end of the 12th: none (i paused)
    response = get(api, world.admin, "units", unit=U, **{"from": "2026-03-03", "to": "2026-03-12"})
    (row,) = response.json()["results"]
    assert (row["received"], row["finished"], row["overdue_open"], row["rated"]) == (5, 4, 0, 1)


def test_units_of_an_empty_period_have_null_rates(api, world, computed):
    response = get(api, world.admin, "units", **{"from": "2025-01-01", "to": "2025-01-31"})
    assert response.status_code == 200
    row = next(r for r in response.json()["results"] if r["unit"] == U)
    assert {k: row[k] for k in U_RATES} == EMPTY_RATES
    assert {k: row[k] for k in U_COUNTS} == dict.fromkeys(U_COUNTS, 0)


def test_overdue_open_is_read_at_the_end_of_the_period(api, world, computed):
    # by the end of 16 March: b is overdue (due the 16th), i was paused on the 9th
    response = get(api, world.admin, "units", unit=U, **{"from": "2026-03-16", "to": "2026-03-16"})
    (row,) = response.json()["results"]
    assert row["overdue_open"] == 1
    assert row["finished"] == 0 and row["received"] == 0
    # nothing accepted that day: no indicator has a value
    assert (row["satisfaction"], row["score"], row["on_time_rate"]) == (None, None, None)


def test_a_leader_sees_only_the_units_under_their_authority(api, world, computed):
    response = get(api, world.leader, "units", **MARCH)
    assert [row["unit"] for row in response.json()["results"]] == [U]
    hidden = get(api, world.leader, "units", unit=U2, **MARCH)
    assert hidden.status_code == 400
    assert "unit" in error_fields(hidden)


def test_processing_staff_and_anonymous_users_may_not_read_metrics(api, world, computed):
    assert get(api, world.clerk, "units").status_code == 403
    assert get(api, world.approver, "rankings").status_code == 403
    api.force_authenticate(user=None)
    assert api.get("/api/v1/metrics/blocks/").status_code == 401


def test_an_inspector_reads_metrics(api, world, computed):
    assert get(api, world.inspector, "blocks", **MARCH).status_code == 200


def test_units_that_handle_no_procedure_are_left_out(api, world, computed):
    UnitFactory(code="000.00.00.H40", name="UBND tỉnh", block="department")
    codes = [row["unit"] for row in get(api, world.admin, "units", **MARCH).json()["results"]]
    assert codes == [U, U2]


def test_blocks_give_totals_and_their_rates(api, world, computed):
    rows = get(api, world.admin, "blocks", **MARCH).json()["results"]
    assert len(rows) == 1
    (block,) = rows
    assert (block["block"], block["units"], block["received"], block["overdue_open"]) == (
        "commune",
        2,
        9,
        1,
    )
    # U2 accepted nothing: every indicator as for U
    assert block["online_rate"] == 12.5
    assert block["digitization_rate"] == 37.5
    assert block["reuse_rate"] == 25.0
    assert (block["on_time_rate"], block["e_result_rate"], block["satisfaction"]) == (
        37.5,
        37.5,
        25.0,
    )
    assert block["score"] == 35.52


def test_rankings_rank_by_the_indicator_with_ties_sharing_a_rank(api, world, computed):
    third = UnitFactory(code="000.22.31.H40", name="Phường Hà Lầm", block="commune")
    world.procedure.units.add(third)
    for unit in (world.other_unit, third):
        make_dossier(
            world,
            received=local(2026, 3, 20, 9),
            state="intake",
            due=local(2026, 3, 27, 17),
            unit=unit,
            components=("pending", "pending", "pending"),
        )
    recompute_metrics()
    response = get(api, world.admin, "rankings", block="commune", **MARCH)
    assert response.status_code == 200
    body = response.json()
    assert (body["indicator"], body["block"]) == ("score", "commune")
    ranked = [(row["rank"], row["unit"], row["value"]) for row in body["results"]]
    # U2 and the third unit: one dossier each accepted and late at the end of March, same score
    assert ranked == [(1, U, 35.52), (2, U2, 0.0), (2, "000.22.31.H40", 0.0)]


def test_rankings_put_units_without_a_value_last_without_a_rank(api, world, computed):
    body = get(api, world.admin, "rankings", indicator="on_time", **MARCH).json()
    assert [(row["rank"], row["unit"], row["value"]) for row in body["results"]] == [
        (1, U, 37.5),
        (None, U2, None),
    ]


def test_rankings_of_another_block_are_empty(api, world, computed):
    body = get(api, world.admin, "rankings", block="department", **MARCH).json()
    assert body["results"] == []


def test_trend_per_week_with_the_overdue_count_at_each_week_end(api, world, computed):
    response = get(
        api,
        world.admin,
        "trend",
        unit=U,
        indicator="on_time",
        granularity="week",
        **{"from": "2026-03-02", "to": "2026-03-22"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["unit"], body["indicator"], body["granularity"]) == (U, "on_time", "week")
    points = [
        (p["period_start"], p["period_end"], p["value"], p["finished"], p["overdue_open"])
        for p in body["results"]
    ]
    assert points == [
        # accepted that week: 8; on time a g h, and d still open and not due by the 8th
        ("2026-03-02", "2026-03-08", 50.0, 2, 1),
        ("2026-03-09", "2026-03-15", None, 2, 0),  # nothing accepted
        ("2026-03-16", "2026-03-22", None, 1, 1),
    ]


def test_trend_per_month_clips_the_first_and_last_month(api, world, computed):
    body = get(
        api,
        world.admin,
        "trend",
        indicator="digitization",
        granularity="month",
        **{"from": "2026-02-15", "to": "2026-04-10"},
    ).json()
    assert body["unit"] is None
    assert [
        (p["period_start"], p["period_end"], p["value"], p["overdue_open"]) for p in body["results"]
    ] == [
        ("2026-02-15", "2026-02-28", None, 0),
        ("2026-03-01", "2026-03-31", 37.5, 1),  # both units: 3 of the 8 accepted; d overdue
        ("2026-04-01", "2026-04-10", None, 1),
    ]


def test_trend_per_day(api, world, computed):
    body = get(
        api,
        world.admin,
        "trend",
        unit=U,
        indicator="online",
        granularity="day",
        **{"from": "2026-03-02", "to": "2026-03-04"},
    ).json()
    assert [(p["period_start"], p["value"], p["received"]) for p in body["results"]] == [
        ("2026-03-02", 33.33, 3),
        ("2026-03-03", 0.0, 5),
        ("2026-03-04", None, 0),
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("units", {"from": "2026-13-01"}, "from"),
        ("units", {"to": "yesterday"}, "to"),
        ("units", {"from": "2026-04-01", "to": "2026-03-01"}, "from"),
        ("units", {"from": "2000-01-01", "to": "2026-03-01"}, "to"),
        ("units", {"block": "province"}, "block"),
        ("units", {"unit": "999.99.99.H40"}, "unit"),
        ("rankings", {"indicator": "speed"}, "indicator"),
        ("blocks", {"from": "2026-03-05", "to": "2026-03-04"}, "from"),
        ("trend", {"granularity": "hour"}, "granularity"),
        ("trend", {"indicator": "happiness"}, "indicator"),
        ("trend", {"granularity": "day", "from": "2025-01-01", "to": "2026-03-01"}, "granularity"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(api, world, computed, path, params, field):
    response = get(api, world.admin, path, **params)
    assert response.status_code == 400
    fields = error_fields(response)
    assert list(fields) == [field]
    assert fields[field][0]


def test_csv_export_has_vietnamese_headers(api, world, computed):
    response = get(api, world.admin, "units", format="csv", **MARCH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="chi-so-don-vi-2026-03-01-2026-03-31.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:5] == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Khối",
        "Hồ sơ tiếp nhận",
        "Tiếp nhận trực tuyến",
    ]
    assert "Tỷ lệ đúng hạn (%)" in rows[0] and "Điểm (0-100)" in rows[0]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["Mã đơn vị"], first["Hồ sơ tiếp nhận"], first["Điểm (0-100)"]) == (
        U,
        "8",
        "35.52",
    )
    second = dict(zip(rows[0], rows[2], strict=True))
    assert second["Tỷ lệ đúng hạn (%)"] == ""  # null


def test_xlsx_export_of_the_rankings(api, world, computed):
    response = get(api, world.admin, "rankings", format="xlsx", **MARCH)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Xếp hạng", "Giá trị chỉ số", "Mã đơn vị", "Tên đơn vị")
    assert rows[1][:3] == (1, 35.52, U)
    assert rows[2][:3] == (None, None, U2)


def test_an_export_with_a_bad_parameter_answers_json(api, world, computed):
    response = get(api, world.admin, "trend", format="csv", indicator="speed")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "indicator" in error_fields(response)


def test_default_period_is_the_year_to_date(api, world, computed):
    body = get(api, world.admin, "blocks").json()
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-04-15")
    assert body["results"][0]["received"] == 9


def test_rankings_read_a_fixed_number_of_queries(
    api, world, computed, django_assert_max_num_queries
):
    api.force_authenticate(user=world.leader)
    with django_assert_max_num_queries(10):  # savepoints included
        response = api.get("/api/v1/metrics/rankings/", MARCH)
    assert response.status_code == 200


def test_rates_are_exact_decimals_rounded_half_up():
    from digitization.indicators import Counts, rounded_indicators

    # 1/8 = 12.5 %; 1/3 = 33.333 %; 2/3 = 66.667 %
    values = rounded_indicators(
        Counts(accepted=3, accepted_online=2, accepted_reused=1, digitized_any=3)
    )
    assert values["online"] == Decimal("66.67")
    assert values["reuse"] == Decimal("33.33")
    assert values["digitization"] == Decimal("100.00")


def test_responses_have_exactly_the_documented_fields(api, world, computed):
    from digitization.api import serializers as s

    shapes = [
        ("units", {}, s.UnitMetricsResponse, s.UnitMetricsSerializer),
        ("blocks", {}, s.BlockMetricsResponse, s.BlockMetricsSerializer),
        ("rankings", {}, s.RankingsResponse, s.RankedUnitSerializer),
        ("trend", {"granularity": "week"}, s.TrendResponse, s.TrendPointSerializer),
    ]
    for path, params, envelope, row in shapes:
        body = get(api, world.admin, path, **MARCH, **params).json()
        assert set(body) == set(envelope().fields), path
        assert body["results"], path
        assert all(set(item) == set(row().fields) for item in body["results"]), path


def test_readings_are_cached_until_the_next_metrics_run(api, world, computed, settings):
    from digitization.metrics import refresh_metrics
    from digitization.models import UnitMonthMetrics

    march = UnitMonthMetrics.objects.filter(unit=world.unit, month="2026-03-01")

    def received():
        body = get(api, world.admin, "units", unit=U, **MARCH).json()
        return body["results"][0]["received"]

    assert received() == 8
    march.update(received=108)  # March is read from the monthly table
    assert received() == 8  # still the reading made since the last run
    refresh_metrics()  # a run (here changing nothing) starts a new reading
    assert received() == 108
    settings.METRICS_CACHE_SECONDS = 0
    march.update(received=8)
    assert received() == 8

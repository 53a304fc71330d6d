"""GET /api/v1/metrics/definitions/ and the 2.2 endpoint GET /api/v1/metrics/processing-time/."""

import pytest
import time_machine
from rest_framework.test import APIClient

from digitization.api import serializers as s
from tests.digitization.builders_766 import accepted, at, issue_result, march_values, procedure

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def get(api, user, path, **params):
    api.force_authenticate(user=user)
    return api.get(f"/api/v1/metrics/{path}/", params)


def test_definitions_name_numerator_denominator_and_period_date(api, world):
    response = get(api, world.leader, "definitions")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(s.DefinitionsResponse().fields)
    by_code = {each["code"]: each for each in body["indicators"]}
    assert set(by_code) == {"1.4", "2.1", "2.2", "3.3", "3.5", "3.6", "4.1", "4.2", "4.3", "5.4"}
    on_time = by_code["2.1"]
    assert on_time["field"] == "on_time_rate"
    assert on_time["numerator"] and on_time["denominator"] and on_time["period_date"]
    assert (on_time["points"], on_time["threshold"], on_time["points_confirmed"]) == (
        20.0,
        100.0,
        True,
    )
    assert [r["setting"] for r in on_time["readings"]] == [
        "METRICS_ON_TIME_DOSSIERS",
        "METRICS_OPEN_JUDGED_AT",
    ]
    assert on_time["readings"][0]["in_force"] == "accepted"
    assert (by_code["5.4"]["points"], by_code["5.4"]["points_confirmed"]) == (6.0, False)
    assert by_code["2.2"]["unit"] == "working_days" and by_code["2.2"]["points"] is None
    assert sum(group["points"] for group in body["groups"]) == 100
    assert body["scoring"]["legal_basis"].startswith("Quyết định 766")


def test_unavailable_indicators_give_their_reason(api, world):
    body = get(api, world.leader, "definitions").json()
    by_code = {each["code"]: each for each in body["indicators"]}
    for code in ("1.4", "3.5", "3.6"):
        assert by_code[code]["available"] is False
        assert by_code[code]["unavailable_reason"]
    assert by_code["2.1"]["available"] is True and by_code["2.1"]["unavailable_reason"] is None


def test_definitions_show_the_reading_in_force(api, world, settings):
    settings.METRICS_E_RESULT_DENOMINATOR = "completed"
    body = get(api, world.leader, "definitions").json()
    (e_result,) = [each for each in body["indicators"] if each["code"] == "4.1"]
    assert e_result["readings"][0]["in_force"] == "completed"


def test_processing_staff_may_not_read_definitions(api, world):
    assert get(api, world.clerk, "definitions").status_code == 403


def test_processing_time_per_unit(api, world, settings):
    settings.METRICS_CACHE_SECONDS = 0
    proc = procedure(world, days=10)
    b1 = accepted(world, at(3), proc=proc)
    issue_result(world, b1, at(6))
    march_values(world)  # the metrics rebuilt
    with time_machine.travel(at(5, month=4), tick=False):
        response = get(
            api, world.leader, "processing-time", procedure=proc.code,
            **{"from": "2025-03-01", "to": "2025-03-31"},
        )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(s.ProcessingTimeResponse().fields)
    assert body["procedure"] == proc.code
    assert [
        (r["unit"], r["completed"], r["working_days"], r["average"]) for r in body["results"]
    ] == [(world.unit.code, 1, 3, 3.0)]


def test_processing_time_of_an_unknown_procedure_is_a_400(api, world):
    response = get(api, world.leader, "processing-time", procedure="0.000000")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["procedure"]


def test_processing_time_needs_a_procedure(api, world):
    response = get(api, world.leader, "processing-time")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["procedure"]

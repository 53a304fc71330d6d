"""Citizens look a dossier up and rate it, with no login, proving who they are."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from digitization.metrics import refresh_metrics
from digitization.models import SatisfactionRating, UnitDayMetrics
from digitization.ratings import AlreadyRated, RatingNotOpen, rate_dossier
from tests.dossiers import dossier_in

pytestmark = pytest.mark.django_db

ID_LAST4 = "1234"  # tests.dossiers gives every applicant the ID number 022090001234
NOT_FOUND = {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def completed(world):
    return dossier_in(world, "completed", at=timezone.now() - timedelta(hours=2))


def lookup(api, code, id_last4=ID_LAST4, **extra):
    return api.get(f"/api/v1/public/dossiers/{code}/", {"id_last4": id_last4}, **extra)


def post_rating(api, code, **data):
    body = {"id_last4": ID_LAST4, "rating": "satisfied", **data}
    return api.post(f"/api/v1/public/dossiers/{code}/rating/", body, format="json")


def test_a_citizen_looks_up_their_dossier_without_personal_data(api, completed):
    response = lookup(api, completed.code)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "code",
        "procedure",
        "procedure_name",
        "unit",
        "unit_name",
        "state",
        "state_display",
        "step",
        "national_status",
        "received_at",
        "due_at",
        "completed_at",
        "rated",
        "can_rate",
    }
    assert (body["code"], body["state"], body["national_status"], body["step"]) == (
        completed.code,
        "completed",
        10,
        None,
    )
    assert body["completed_at"] is not None and body["due_at"] is not None
    assert (body["rated"], body["can_rate"]) == (False, True)
    assert "Nguyễn" not in response.content.decode()
    assert "022090001234" not in response.content.decode()


def test_an_open_dossier_shows_its_step(api, world):
    dossier = dossier_in(world, "appraisal")
    body = lookup(api, dossier.code).json()
    assert (body["state"], body["step"], body["national_status"], body["can_rate"]) == (
        "appraisal",
        2,
        4,
        False,
    )


def test_a_wrong_proof_answers_exactly_like_an_unknown_code(api, completed):
    wrong = lookup(api, completed.code, id_last4="9999")
    unknown = lookup(api, "000.20.31.H40-000000-0000")
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json() == NOT_FOUND


def test_the_proof_ignores_letter_case(api, world, completed):
    completed.__class__.objects.filter(pk=completed.pk).update(applicant_id_number="B1234567X")
    assert lookup(api, completed.code, id_last4="567x").status_code == 200


def test_a_dossier_without_an_id_number_cannot_be_looked_up(api, completed):
    completed.__class__.objects.filter(pk=completed.pk).update(applicant_id_number="")
    assert lookup(api, completed.code, id_last4="0000").status_code == 404


@pytest.mark.parametrize("id_last4", ["", "12", "12345", "12-4"])
def test_a_malformed_proof_is_a_400(api, completed, id_last4):
    response = lookup(api, completed.code, id_last4=id_last4)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["id_last4"]


def test_a_citizen_rates_a_completed_dossier_once(api, completed):
    response = post_rating(api, completed.code, rating="not_satisfied", comment="Chờ lâu")
    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["rating"], body["complaint"], body["comment"]) == (
        completed.code,
        "not_satisfied",
        False,
        "Chờ lâu",
    )
    again = post_rating(api, completed.code)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_rated"
    assert SatisfactionRating.objects.get().rating == "not_satisfied"
    assert lookup(api, completed.code).json()["rated"] is True


def test_an_open_dossier_cannot_be_rated(api, world):
    dossier = dossier_in(world, "delivery")
    response = post_rating(api, dossier.code)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "rating_not_open"
    assert not SatisfactionRating.objects.exists()


def test_a_rating_with_a_wrong_proof_is_a_404(api, completed):
    response = post_rating(api, completed.code, id_last4="0000")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert not SatisfactionRating.objects.exists()


def test_an_unknown_rating_is_a_400(api, completed):
    response = post_rating(api, completed.code, rating="ecstatic")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["rating"]


def test_lookups_are_throttled_per_client(api, completed, settings):
    settings.PUBLIC_LOOKUP_RATE_PER_CLIENT = "3/min"
    statuses = [lookup(api, completed.code, id_last4=f"{n:04d}").status_code for n in range(4)]
    assert statuses == [404, 404, 404, 429]
    body = lookup(api, completed.code).json()
    assert body["error"]["code"] == "throttled"
    # another client is not held back by the first one
    assert lookup(api, completed.code, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_lookups_of_one_dossier_are_throttled_whoever_asks(api, completed, settings):
    settings.PUBLIC_LOOKUP_RATE_PER_DOSSIER = "2/hour"
    first = [
        lookup(api, completed.code, id_last4="0000", REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(1, 4)
    ]
    assert first == [404, 404, 429]
    assert lookup(api, "another-code", REMOTE_ADDR="10.0.0.9").status_code == 404


def test_ratings_count_against_the_throttle_too(api, completed, settings):
    settings.PUBLIC_LOOKUP_RATE_PER_CLIENT = "1/min"
    assert post_rating(api, completed.code).status_code == 201
    assert post_rating(api, completed.code).status_code == 429


def test_a_rating_reaches_the_metrics_on_its_day(completed, settings):
    settings.METRICS_CHANGES_OVERLAP_SECONDS = 0
    refresh_metrics()
    at = timezone.now()
    rate_dossier(dossier=completed, rating="satisfied", complaint=True, at=at)
    refresh_metrics()
    row = UnitDayMetrics.objects.get(unit=completed.unit, day=timezone.localdate(at))
    assert (row.rated, row.not_satisfied) == (1, 1)


def test_the_rating_service_refuses_twice_and_before_completion(world, completed):
    rate_dossier(dossier=completed, rating="neutral")
    with pytest.raises(AlreadyRated):
        rate_dossier(dossier=completed, rating="satisfied")
    with pytest.raises(RatingNotOpen):
        rate_dossier(dossier=dossier_in(world, "signing"), rating="satisfied")


def test_ratings_are_listed_read_only_in_the_admin(client, world, completed):
    rated = rate_dossier(dossier=completed, rating="not_satisfied", comment="Chờ lâu")
    client.force_login(world.admin)
    listing = client.get("/admin/digitization/satisfactionrating/")
    assert listing.status_code == 200
    assert completed.code in listing.content.decode()
    assert client.get("/admin/digitization/satisfactionrating/add/").status_code == 403
    change = client.post(
        f"/admin/digitization/satisfactionrating/{rated.pk}/change/", {"comment": "sửa"}
    )
    assert change.status_code in (302, 403)
    rated.refresh_from_db()
    assert rated.comment == "Chờ lâu"

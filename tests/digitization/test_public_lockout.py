"""One client hammering a dossier code cannot lock its citizen out of the look-up."""

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tests.dossiers import dossier_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def lookup(api, code, id_last4, address):
    return api.get(f"/api/v1/public/dossiers/{code}/", {"id_last4": id_last4}, REMOTE_ADDR=address)


def test_requests_refused_per_client_do_not_count_against_the_dossier(world, settings):
    settings.PUBLIC_LOOKUP_RATE_PER_CLIENT = "3/min"
    settings.PUBLIC_LOOKUP_RATE_PER_DOSSIER = "5/hour"
    dossier = dossier_in(world, "completed", at=timezone.now())
    api = APIClient()

    attacker = [lookup(api, dossier.code, "0000", "10.6.6.6").status_code for _ in range(40)]

    assert attacker == [404] * 3 + [429] * 37
    # only the 3 requests that passed the per-client limit counted for the dossier
    assert lookup(api, dossier.code, "1234", "10.1.1.1").status_code == 200
    assert lookup(api, dossier.code, "1234", "10.1.1.2").status_code == 200


def test_the_per_dossier_limit_still_holds_across_clients(world, settings):
    settings.PUBLIC_LOOKUP_RATE_PER_CLIENT = "3/min"
    settings.PUBLIC_LOOKUP_RATE_PER_DOSSIER = "5/hour"
    dossier = dossier_in(world, "completed", at=timezone.now())
    api = APIClient()

    statuses = [lookup(api, dossier.code, "0000", f"10.2.2.{n}").status_code for n in range(7)]

    assert statuses == [404] * 5 + [429] * 2

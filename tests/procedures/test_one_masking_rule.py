"""One masking rule (procedures.personal_data) behind every page and the API: changing it there
changes what the desk, the dashboard's dossier page, the admin and the API show."""

import pytest

from procedures import personal_data
from tests.dossiers import dossier_in

pytestmark = pytest.mark.django_db


def test_every_consumer_masks_through_procedures_personal_data(client, world, monkeypatch):
    dossier = dossier_in(world, "intake")
    monkeypatch.setattr(personal_data, "mask", lambda value: f"[masked-{len(value)}]")
    client.force_login(world.leader)  # not of the handling unit's staff: sees the data masked
    for url in [
        f"/desk/dossiers/{dossier.code}/",
        f"/dashboard/ho-so/{dossier.code}/",
        f"/admin/procedures/dossier/{dossier.pk}/change/",
        f"/api/v1/dossiers/{dossier.code}/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "[masked-12]" in body, url  # the ID number 022090001234, through the one rule
        assert "022090001234" not in body and "*********234" not in body, url


def test_the_handling_units_clerk_sees_the_applicant_unmasked(client, world):
    dossier = dossier_in(world, "intake")
    client.force_login(world.clerk)
    for url in [f"/desk/dossiers/{dossier.code}/", f"/api/v1/dossiers/{dossier.code}/"]:
        body = client.get(url).content.decode()
        assert "022090001234" in body and "*********234" not in body, url

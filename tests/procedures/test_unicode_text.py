"""Rows stored in NFD before input was normalized are rewritten in NFC, found by an NFC search."""

import unicodedata
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from procedures.models import Dossier, Unit
from procedures.unicode_text import normalize_stored_text
from tests.dossiers import new_dossier

pytestmark = pytest.mark.django_db


def migrate():
    """Run the data migration's function on the test database."""
    normalize_stored_text(apps, SimpleNamespace(connection=connection))

NAME = "Trần Thị Ngọc Ánh"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_names_stored_in_nfd_are_migrated_to_nfc_and_found_by_an_nfc_search(api, world):
    dossier = new_dossier(world)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_full_name=nfd(NAME))
    Unit.objects.filter(pk=world.unit.pk).update(name=nfd("Phường Hồng Gai"))
    search = {"q": unicodedata.normalize("NFC", "Ngọc Ánh")}
    assert api.as_(world.clerk).get("/api/v1/dossiers/", search).json()["results"] == []

    migrate()

    dossier.refresh_from_db()
    world.unit.refresh_from_db()
    assert dossier.applicant_full_name == unicodedata.normalize("NFC", NAME)
    assert world.unit.name == unicodedata.normalize("NFC", "Phường Hồng Gai")
    found = api.get("/api/v1/dossiers/", search).json()["results"]
    assert [row["code"] for row in found] == [dossier.code]


def test_a_unique_value_whose_nfc_form_is_taken_is_left_as_it_is(world):
    from tests.factories import UserFactory

    UserFactory(username=unicodedata.normalize("NFC", "hồng"))
    decomposed = UserFactory(username=nfd("hồng"))

    migrate()

    decomposed.refresh_from_db()
    assert decomposed.username == nfd("hồng")

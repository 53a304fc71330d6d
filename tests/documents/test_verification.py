"""Public verification of an issued result: /xac-thuc/{code}/ and its JSON twin."""

import hashlib

import pytest
from django.core.files.base import ContentFile

from documents.models import SignedResult
from tests.documents.test_signing import approver, awaiting_signature, sign  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(api, world, approver):  # noqa: F811
    dossier = awaiting_signature(world)
    assert sign(api, approver, dossier).status_code == 200
    api.force_authenticate(user=None)
    return SignedResult.objects.get()


def test_the_json_tells_who_signed_when_and_no_personal_data(api, issued):
    response = api.get(f"/api/v1/public/results/{issued.dossier.code}/verify/")

    assert response.status_code == 200
    body = response.json()
    assert body["signed"] is True
    assert body["signer_name"] == "Trần Thị Bích"
    assert body["signer_unit"] == "Phường Hồng Gai"
    assert body["sha256"] == issued.sha256
    assert body["matches"] is None
    assert "Nguyễn Văn An" not in response.content.decode()
    assert "022090001234" not in response.content.decode()


def test_a_hash_or_a_file_is_compared_with_the_issued_one(api, issued):
    url = f"/api/v1/public/results/{issued.dossier.code}/verify/"
    content = issued.file.file.read()
    changed = content[:-10] + b"0123456789"

    by_hash = api.get(url, {"sha256": hashlib.sha256(content).hexdigest()})
    same = api.post(url, {"file": ContentFile(content, name="a.pdf")}, format="multipart")
    other = api.post(url, {"file": ContentFile(changed, name="b.pdf")}, format="multipart")

    assert by_hash.json()["matches"] is True
    assert same.json()["matches"] is True
    assert other.json()["matches"] is False
    assert SignedResult.objects.count() == 1


def test_an_unknown_or_unsigned_code_is_404(api, world):
    assert api.get("/api/v1/public/results/000.20.31.H40-260101-0001/verify/").status_code == 404
    assert api.get("/xac-thuc/000.20.31.H40-260101-0001/").status_code == 404


def test_the_page_shows_the_signature_in_vietnamese_and_checks_a_file(client, issued):
    url = f"/xac-thuc/{issued.dossier.code}/"

    page = client.get(url)
    checked = client.post(url, {"file": ContentFile(b"%PDF-1.4 other", name="x.pdf")})

    text = page.content.decode()
    assert page.status_code == 200
    assert "Trần Thị Bích" in text and issued.sha256 in text
    assert "chữ ký số" in text
    assert "Nguyễn Văn An" not in text
    assert 'id="match"' in checked.content.decode()
    assert "KHÔNG" in checked.content.decode()

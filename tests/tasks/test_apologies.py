"""Apology letters (form 04): POST /api/v1/dossiers/{code}/apologies/ and the printable form."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from procedures.models import ApologyLetter, Dossier, DossierState, Notice, NoticeKind
from tests.api_client import error_of
from tests.dossiers import dossier_in

S = DossierState
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ACCEPTED = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
DUE = datetime(2026, 3, 16, 17, 0, tzinfo=TZ)  # Monday
AFTER_DUE = datetime(2026, 3, 17, 9, 0, tzinfo=TZ)  # Tuesday morning
NEW_DATE = date(2026, 3, 20)  # Friday

pytestmark = pytest.mark.django_db


def url(dossier):
    return f"/api/v1/dossiers/{dossier.code}/apologies/"


def late(world, state=S.APPRAISAL):
    dossier = dossier_in(
        world, state, at=ACCEPTED - timedelta(minutes=5), step=timedelta(minutes=1)
    )
    assert dossier.due_at == DUE
    return dossier


def post(api, user, dossier, *, when=AFTER_DUE, **data):
    body = {"reason": "Chờ ý kiến của Sở Tài nguyên", "new_appointment_date": str(NEW_DATE)}
    body.update(data)
    with time_machine.travel(when, tick=False):
        return api.as_(user).post(url(dossier), body, format="json")


def test_an_overdue_dossier_gets_its_letter_and_the_citizen_a_new_appointment(
    api, world, django_capture_on_commit_callbacks
):
    dossier = late(world)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, world.clerk, dossier)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["dossier"] == dossier.code
    assert body["new_appointment_date"] == "2026-03-20"
    assert body["appointment_at"] == "2026-03-20T17:00:00+07:00"
    assert body["missed_due_at"] == "2026-03-16T17:00:00+07:00"
    assert body["issued_by"] == "clerk"
    assert body["form_url"].endswith(f"/dossiers/{dossier.code}/apology/")
    saved = Dossier.objects.get(pk=dossier.pk)
    assert saved.due_at == DUE  # the statutory due date is untouched
    assert saved.appointment_at == datetime(2026, 3, 20, 17, 0, tzinfo=TZ)
    assert saved.is_overdue(now=AFTER_DUE)
    apology_notice = Notice.objects.get(dossier=dossier, kind=NoticeKind.APOLOGY)
    assert apology_notice.status == "sent"
    assert [m.to for m in mail.outbox][-1] == ["an@example.vn"]
    assert "Chờ ý kiến của Sở Tài nguyên" in mail.outbox[-1].body


def test_a_dossier_due_today_may_get_its_letter_before_the_office_closes(api, world):
    dossier = late(world)

    response = post(api, world.specialist, dossier, when=DUE - timedelta(hours=3))

    assert response.status_code == 201, response.json()


def test_a_dossier_not_yet_due_gets_no_letter(api, world):
    dossier = late(world)

    response = post(api, world.clerk, dossier, when=DUE - timedelta(days=1))

    assert response.status_code == 409
    assert error_of(response)["code"] == "not_overdue"
    assert not ApologyLetter.objects.exists()


@pytest.mark.parametrize("state", [S.SUPPLEMENT, S.COMPLETED])
def test_a_paused_or_finished_dossier_gets_no_letter(api, world, state):
    dossier = late(world, state)

    response = post(api, world.clerk, dossier)

    assert response.status_code == 409
    assert error_of(response)["code"] == "not_overdue"


def test_a_second_letter_for_the_same_dossier_is_refused(api, world):
    dossier = late(world)
    assert post(api, world.clerk, dossier).status_code == 201

    response = post(api, world.clerk, dossier, new_appointment_date="2026-03-23")

    assert response.status_code == 409
    assert error_of(response)["code"] == "apology_already_issued"
    assert ApologyLetter.objects.get().new_appointment_date == NEW_DATE


@pytest.mark.parametrize(
    "new_date",
    [
        "2026-03-17",  # today
        "2026-03-13",  # in the past
        "2026-03-21",  # a Saturday
        "2026-04-30",  # Reunification Day
    ],
)
def test_the_new_appointment_must_be_a_working_day_after_today(api, world, new_date):
    dossier = late(world)

    response = post(api, world.clerk, dossier, new_appointment_date=new_date)

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"new_appointment_date"}
    assert Dossier.objects.get(pk=dossier.pk).appointment_at is None


def test_a_reason_is_required(api, world):
    response = post(api, world.clerk, late(world), reason="  ")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"reason"}


def test_inspectors_may_read_but_not_issue_letters(api, world):
    dossier = late(world)

    response = post(api, world.inspector, dossier)

    assert response.status_code == 403
    assert api.as_(world.inspector).get(url(dossier)).json() == []


def test_another_units_dossier_is_not_found(api, world):
    response = post(api, world.other_clerk, late(world))

    assert response.status_code == 404


def test_the_letter_is_listed_on_the_dossier(api, world):
    dossier = late(world)
    post(api, world.clerk, dossier)

    listed = api.as_(world.approver).get(url(dossier)).json()

    assert [(item["dossier"], item["reason"]) for item in listed] == [
        (dossier.code, "Chờ ý kiến của Sở Tài nguyên")
    ]


# --- the printable form 04 -----------------------------------------------------------------


def test_the_printable_form_shows_the_letter(client, api, world):
    dossier = late(world)
    post(api, world.clerk, dossier)
    client.force_login(world.specialist)

    response = client.get(f"/dossiers/{dossier.code}/apology/")

    assert response.status_code == 200
    page = response.content.decode()
    assert dossier.code in page
    assert "Chờ ý kiến của Sở Tài nguyên" in page
    assert "20/03/2026" in page
    assert "16/03/2026" in page
    assert "http://" not in page and "https://" not in page  # no CDN, prints offline


def test_the_printable_form_needs_a_login_and_the_dossiers_unit(client, api, world):
    dossier = late(world)
    post(api, world.clerk, dossier)
    path = f"/dossiers/{dossier.code}/apology/"

    assert client.get(path).status_code == 302
    client.force_login(world.other_clerk)
    assert client.get(path).status_code == 404


def test_the_printable_form_of_a_dossier_without_a_letter_is_not_found(client, world):
    dossier = late(world)
    client.force_login(world.clerk)

    assert client.get(f"/dossiers/{dossier.code}/apology/").status_code == 404

"""Dates the Vietnamese way (dd/mm/yyyy) in forms and the admin; ISO 8601 in the API."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from procedures.models import CalendarDay, Dossier
from tests.api_client import error_of

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


class DateForm(forms.Form):
    day = forms.DateField()
    moment = forms.DateTimeField()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_form_reads_dd_mm_yyyy_day_first(language):
    with translation.override(language):
        form = DateForm({"day": "01/09/2026", "moment": "01/09/2026 14:30"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 9, 1)
    assert form.cleaned_data["moment"] == datetime(2026, 9, 1, 14, 30, tzinfo=HCM)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_form_accepts_a_day_above_twelve(language):
    with translation.override(language):
        form = DateForm({"day": "30/11/2026", "moment": "30/11/2026 08:05"})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 11, 30)
    assert form.cleaned_data["moment"] == datetime(2026, 11, 30, 8, 5, tzinfo=HCM)


def test_a_form_still_reads_iso_dates_from_html_date_inputs():
    form = DateForm({"day": "2026-09-01", "moment": "2026-09-01 14:30"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 9, 1)


def test_month_first_american_dates_are_refused():
    form = DateForm({"day": "11/30/2026", "moment": "11/30/2026 08:05"})
    assert not form.is_valid()
    assert set(form.errors) == {"day", "moment"}


@pytest.mark.parametrize("language", ["vi", "en"])
def test_dates_are_shown_dd_mm_yyyy(language):
    moment = datetime(2026, 9, 1, 14, 30, tzinfo=HCM)
    template = Template("{{ day }}|{{ moment }}|{{ day|date:'SHORT_DATE_FORMAT' }}")
    with translation.override(language):
        shown = template.render(Context({"day": date(2026, 9, 1), "moment": moment}))
        widget = forms.DateInput().render("day", date(2026, 9, 1))
    assert shown == "01/09/2026|01/09/2026 14:30|01/09/2026"
    assert 'value="01/09/2026"' in widget


def test_the_admin_calendar_widget_writes_day_first(client, world):
    client.force_login(world.admin)
    response = client.get(reverse("admin:jsi18n"))
    assert response.status_code == 200
    assert re.search(r'"DATE_INPUT_FORMATS":\s*\[\s*"%d/%m/%Y"', response.content.decode())


def test_an_administrator_enters_a_calendar_day_as_dd_mm_yyyy(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:procedures_calendarday_add"),
        {"date": "01/09/2026", "kind": "day_off", "name": "Nghỉ bù Quốc khánh"},
    )
    assert response.status_code == 302, response.content.decode()
    assert CalendarDay.objects.get().date == date(2026, 9, 1)

    response = client.post(
        reverse("admin:procedures_calendarday_add"),
        {"date": "30/11/2026", "kind": "day_off", "name": "Nghỉ theo quyết định"},
    )
    assert response.status_code == 302, response.content.decode()
    assert set(CalendarDay.objects.values_list("date", flat=True)) == {
        date(2026, 9, 1),
        date(2026, 11, 30),
    }

    day = CalendarDay.objects.get(date=date(2026, 9, 1))
    page = client.get(reverse("admin:procedures_calendarday_change", args=[day.pk]))
    assert 'value="01/09/2026"' in page.content.decode()
    listing = client.get(reverse("admin:procedures_calendarday_changelist"))
    assert "01/09/2026" in listing.content.decode()


API_BODY = {
    "channel": "direct",
    "unit": "000.20.31.H40",
    "applicant": {
        "full_name": "Phạm Thị Dung",
        "id_number": "022190004567",
        "phone": "0987654321",
        "email": "dung@example.vn",
        "address": "Tổ 5, khu 3, Hồng Gai",
    },
}


def test_the_api_still_reads_and_writes_iso_8601(api, world):
    body = {
        **API_BODY,
        "procedure": world.procedure.code,
        "received_at": "2026-09-01T09:00:00+07:00",
    }
    response = api.as_(world.admin).post("/api/v1/dossiers/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["received_at"] == "2026-09-01T09:00:00+07:00"
    assert Dossier.objects.get().received_at == datetime(2026, 9, 1, 9, tzinfo=HCM)

    listed = api.get("/api/v1/dossiers/", {"received_after": "2026-09-01T00:00:00+07:00"})
    assert [row["received_at"] for row in listed.json()["results"]] == ["2026-09-01T09:00:00+07:00"]


def test_the_api_does_not_take_dd_mm_yyyy(api, world):
    body = {**API_BODY, "procedure": world.procedure.code, "received_at": "01/09/2026 09:00"}
    response = api.as_(world.admin).post("/api/v1/dossiers/", body, format="json")
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"received_at"}
    listed = api.get("/api/v1/dossiers/", {"received_after": "01/09/2026"})
    assert listed.status_code == 400

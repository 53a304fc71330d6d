"""The citizens' look-up page /tra-cuu/: the API's look-up rule, throttles and rating."""

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from digitization.models import SatisfactionRating
from procedures.models import Dossier
from procedures.services import issue_apology
from tests.dossiers import WORKING_MORNING, dossier_in

pytestmark = pytest.mark.django_db

ID_LAST4 = "1234"  # tests.dossiers gives every applicant the ID number 022090001234


def look_up(client, code, last4=ID_LAST4, **extra):
    return client.post("/tra-cuu/", {"ma": code, "so_cuoi": last4}, **extra)


def test_the_qr_link_opens_the_form_with_the_code_filled_in(client, world):
    dossier = dossier_in(world, "appraisal")
    response = client.get("/tra-cuu/", {"ma": dossier.code}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'value="{dossier.code}"' in page
    assert "Tra cứu hồ sơ" in page  # Vietnamese whatever the browser asks
    assert response["Content-Language"] == "vi"


def test_a_citizen_sees_the_steps_appointment_and_days_left_without_personal_data(client, world):
    # A working morning: the dossier (made over the 100 minutes before) and the look-up count for
    # the same day, so every working day of the procedure is still left. Run on the real clock,
    # a dossier begun before closing time and looked up after it has lost a day (9 of 10 left).
    with time_machine.travel(WORKING_MORNING, tick=False):
        dossier = dossier_in(world, "appraisal")
        response = look_up(client, dossier.code)
    assert response.status_code == 200
    view = response.context["view"]
    assert [step.status for step in view.steps] == [
        "done",
        "current",
        "to_come",
        "to_come",
        "to_come",
    ]
    assert view.steps[0].at is not None
    assert view.appointment == dossier.due_at
    assert view.working_days_left == world.procedure.processing_days
    page = response.content.decode()
    assert world.procedure.name in page and world.unit.name in page
    assert "Thẩm định" in page and "Đang xử lý" in page
    assert dossier.applicant_full_name not in page
    assert "022090001234" not in page


def test_a_wrong_code_and_a_wrong_id_digit_get_the_same_answer(client, world):
    dossier = dossier_in(world, "appraisal")
    wrong_code = look_up(client, dossier.code[:-1] + "9")
    wrong_digit = look_up(client, dossier.code, last4="1235")
    assert wrong_code.status_code == wrong_digit.status_code == 404
    assert wrong_code.context["error"] == wrong_digit.context["error"]

    def strip(response):
        page = response.content.decode()
        return page.replace(dossier.code[:-1] + "9", "X").replace(dossier.code, "X")

    assert (
        strip(wrong_code).split("<main>")[1].split("<form")[0]
        == strip(wrong_digit).split("<main>")[1].split("<form")[0]
    )
    assert "Không tìm thấy hồ sơ" in wrong_code.content.decode()


def test_bad_input_is_shown_in_vietnamese_keeping_what_was_typed(client, world):
    response = look_up(client, "ABC-1", last4="12")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="ABC-1"' in page
    assert "4 chữ cái hoặc chữ số" in page


def test_the_page_shares_the_apis_throttle_with_a_vietnamese_message(client, api, world, settings):
    settings.PUBLIC_LOOKUP_RATE_PER_CLIENT = "2/min"
    dossier = dossier_in(world, "appraisal")
    assert look_up(client, dossier.code).status_code == 200
    api_answer = client.get(f"/api/v1/public/dossiers/{dossier.code}/", {"id_last4": ID_LAST4})
    assert api_answer.status_code == 200
    throttled = look_up(client, dossier.code)
    assert throttled.status_code == 429
    assert "Vui lòng thử lại sau" in throttled.content.decode()
    body = client.get(f"/api/v1/public/dossiers/{dossier.code}/", {"id_last4": ID_LAST4})
    assert body.status_code == 429
    assert body.json()["error"]["code"] == "throttled"
    assert body.json()["error"]["message"].startswith("Bạn đã thử quá nhiều lần")
    assert int(body["Retry-After"]) > 0


def test_a_supplement_request_shows_what_is_asked_for_and_the_paused_days(client, world):
    dossier = dossier_in(world, "supplement")
    response = look_up(client, dossier.code)
    view = response.context["view"]
    assert view.supplement_reason == "Thiếu giấy tờ"
    assert view.steps[0].status == "paused"
    assert view.working_days_left == Dossier.objects.get(pk=dossier.pk).working_days_left
    assert "Thiếu giấy tờ" in response.content.decode()


def test_an_apology_and_its_new_appointment_are_shown(client, world):
    dossier = dossier_in(world, "appraisal", at=timezone.now() - timedelta(days=60))
    new_day = date.today() + timedelta(days=20)
    while new_day.weekday() >= 5:
        new_day += timedelta(days=1)
    issue_apology(
        dossier=dossier,
        actor=world.specialist,
        reason="Chờ ý kiến liên ngành",
        new_appointment_date=new_day,
    )
    response = look_up(client, dossier.code)
    page = response.content.decode()
    assert "Chờ ý kiến liên ngành" in page
    assert new_day.strftime("%d/%m/%Y") in page
    assert response.context["view"].appointment.date() == new_day


def test_a_completed_dossier_is_rated_once(client, world):
    dossier = dossier_in(world, "completed", at=timezone.now() - timedelta(hours=2))
    assert look_up(client, dossier.code).context["rating_form"] is not None
    data = {
        "ma": dossier.code,
        "so_cuoi": ID_LAST4,
        "muc_do": "not_satisfied",
        "khieu_nai": "on",
        "y_kien": "Chờ lâu",
    }
    first = client.post("/tra-cuu/danh-gia/", data)
    assert first.status_code == 200 and first.context["thanks"]
    rating = SatisfactionRating.objects.get(dossier=dossier)
    assert (rating.rating, rating.complaint, rating.comment) == ("not_satisfied", True, "Chờ lâu")
    second = client.post("/tra-cuu/danh-gia/", {**data, "muc_do": "satisfied"})
    assert second.status_code == 409
    assert SatisfactionRating.objects.get(dossier=dossier).rating == "not_satisfied"
    assert look_up(client, dossier.code).context["rating_form"] is None


def test_an_open_dossier_offers_no_rating(client, world):
    dossier = dossier_in(world, "appraisal")
    assert look_up(client, dossier.code).context["rating_form"] is None
    data = {"ma": dossier.code, "so_cuoi": ID_LAST4, "muc_do": "satisfied"}
    assert client.post("/tra-cuu/danh-gia/", data).status_code == 409
    assert not SatisfactionRating.objects.exists()


def test_the_admin_header_links_the_dashboard_for_leaders_only(client, world):
    client.force_login(world.admin)
    assert 'id="dashboard-link"' in client.get("/admin/").content.decode()
    world.clerk.is_staff = True
    world.clerk.save()
    client.force_login(world.clerk)
    assert 'id="dashboard-link"' not in client.get("/admin/").content.decode()


def test_the_look_up_page_reads_the_dossier_and_its_log_only(
    client, world, django_assert_max_num_queries
):
    dossier = dossier_in(world, "appraisal")
    with django_assert_max_num_queries(2):
        assert look_up(client, dossier.code).status_code == 200


def test_public_pages_speak_vietnamese_unless_the_user_chose_english(client, world):
    """One mechanism with the desk (desk.language): the language cookie, never the browser."""
    client.force_login(world.leader)
    urls = ["/tra-cuu/", "/dashboard/", f"/dashboard/don-vi/{world.unit.code}/"]
    for url in urls:
        browser_en = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert browser_en.status_code == 200, url
        assert browser_en["Content-Language"] == "vi", url
    client.cookies["django_language"] = "en"
    chose_en = client.get("/tra-cuu/")
    assert chose_en["Content-Language"] == "en"
    assert "Last 4 characters of the ID number" in chose_en.content.decode()
    assert "4 ký tự cuối số CCCD" not in chose_en.content.decode()
    for url in urls[1:]:
        assert client.get(url)["Content-Language"] == "en", url
    client.cookies["django_language"] = "vi"
    assert "4 ký tự cuối số CCCD" in client.get("/tra-cuu/").content.decode()


def test_the_verification_page_speaks_vietnamese_to_an_english_browser(client, world):
    response = client.get("/xac-thuc/000.20.31.H40-260101-0001/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Language"] == "vi"
    assert "Không có kết quả đã ký số nào được cấp với mã này." in response.content.decode()

"""The admin screens: pages load, every change goes through the services, findings are read-only
once the inspection is concluded, and the visibility rules hold."""

from html.parser import HTMLParser

import pytest
from django.contrib import messages
from django.urls import reverse

from inspections import services
from inspections.models import ChecklistItem, Finding, Inspection, InspectionLog
from tests.dossiers import new_dossier
from tests.inspections.conftest import local

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


class FormValues(HTMLParser):
    """The values a browser would send for the form with the given id."""

    def __init__(self, form_id):
        super().__init__()
        self.form_id, self.inside, self.values = form_id, False, []
        self.select, self.textarea = None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.values.append((name, attrs.get("value", "on")))
                return
            self.values.append((name, attrs.get("value", "")))
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.values.append((self.select, attrs.get("value", "")))
        elif tag == "textarea":
            self.textarea = name
            self.values.append((name, ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            name, value = self.values.pop()
            self.values.append((name, value + data.lstrip("\n")))


def form_values(response, form_id) -> dict:
    parser = FormValues(form_id)
    parser.feed(response.content.decode())
    values = {}
    for name, value in parser.values:
        values.setdefault(name, []).append(value)
    return values


def shown_messages(response):
    return [str(m.message) for m in messages.get_messages(response.wsgi_request)]


def change_url(obj):
    return reverse(f"admin:inspections_{obj._meta.model_name}_change", args=[obj.pk])


@pytest.fixture
def finding(world, started):
    return services.record_finding(
        inspection=started,
        actor=world.inspector,
        staff=world.clerk,
        kind="no_receipt",
        severity="minor",
        description="Không cấp giấy tiếp nhận",
    )


# --- pages load ---------------------------------------------------------------------------------


def test_every_inspection_page_loads_for_a_superuser(client, world, finding):
    new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    sampled = services.draw_sample(inspection=finding.inspection, actor=world.admin, size=1)[0]
    client.force_login(world.admin)
    urls = [
        reverse("admin:inspections_inspection_changelist"),
        reverse("admin:inspections_inspection_add"),
        change_url(finding.inspection),
        reverse("admin:inspections_finding_changelist"),
        reverse("admin:inspections_finding_add"),
        change_url(finding),
        reverse("admin:inspections_sampleddossier_changelist"),
        change_url(sampled),
        reverse("admin:inspections_accountability") + "?first_day=2025-03-01&last_day=2025-03-31",
    ]
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, 200)


# --- inspections --------------------------------------------------------------------------------


def test_an_inspector_plans_an_inspection_through_the_admin_form(client, world, second_inspector):
    client.force_login(world.inspector)
    response = client.post(
        reverse("admin:inspections_inspection_add"),
        {
            "unit": world.unit.pk,
            "kind": "unannounced",
            "lead": world.inspector.pk,
            "members": [second_inspector.pk],
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "planned_start": "2025-04-01",
            "planned_end": "2025-04-30",
            "scope": "Đột xuất",
            **{f"{p}-{k}": v for p in ("sample", "findings", "log") for k, v in MANAGEMENT},
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    inspection = Inspection.objects.get()
    assert (inspection.kind, inspection.lead, inspection.created_by) == (
        "unannounced",
        world.inspector,
        world.inspector,
    )
    assert list(inspection.members.all()) == [second_inspector]
    assert InspectionLog.objects.filter(inspection=inspection, action="create").exists()


MANAGEMENT = [("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MAX_NUM_FORMS", "1000")]


def test_the_admin_form_shows_the_services_refusal_of_the_team(client, world):
    client.force_login(world.inspector)
    response = client.post(
        reverse("admin:inspections_inspection_add"),
        {
            "unit": world.unit.pk,
            "kind": "regular",
            "lead": world.clerk.pk,
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "planned_start": "2025-04-01",
            "planned_end": "2025-04-30",
        },
    )
    assert response.status_code == 200
    assert "lead" in response.context["adminform"].form.errors
    assert not Inspection.objects.exists()


def test_the_lead_starts_and_concludes_with_the_buttons(client, world, plan):
    inspection = plan()
    client.force_login(world.inspector)
    page = client.get(change_url(inspection))
    start_url = reverse("admin:inspections_inspection_transition", args=[inspection.pk, "start"])
    assert start_url.encode() in page.content
    client.post(start_url, {"note": "Bắt đầu"})
    conclude_url = reverse(
        "admin:inspections_inspection_transition", args=[inspection.pk, "conclude"]
    )
    response = client.post(conclude_url, {"conclusion": "Chấp hành tốt"}, follow=True)
    assert shown_messages(response) == ["Done: Start the inspection.", "Done: Conclude."]
    inspection.refresh_from_db()
    assert (inspection.state, inspection.conclusion) == ("concluded", "Chấp hành tốt")


def test_a_refused_button_shows_the_reason(client, world, plan, second_inspector):
    inspection = plan(members=[second_inspector])
    client.force_login(second_inspector)
    url = reverse("admin:inspections_inspection_transition", args=[inspection.pk, "start"])
    response = client.post(url, follow=True)
    assert shown_messages(response) == ["Only the team lead may do this."]
    assert Inspection.objects.get(pk=inspection.pk).state == "planned"


def test_the_team_draws_the_sample_and_checks_it_in_the_admin(client, world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    client.force_login(world.inspector)
    url = reverse("admin:inspections_inspection_sample", args=[started.pk])
    response = client.post(url, {"size": "3", "seed": "9"}, follow=True)
    assert shown_messages(response) == ["1 dossiers drawn."]
    sampled = started.sample.get()
    assert sampled.dossier == dossier

    page = client.get(change_url(sampled))
    values = form_values(page, "sampleddossier_form")
    items = list(sampled.checklist.order_by("id"))
    assert [items[i].item for i in range(5)][0] == "receipt_issued"
    values["checklist-0-check"] = ["on"]  # confirm the receipt as prefilled
    values["checklist-1-confirmed"] = ["true"]  # correct "components digitized"
    values["checklist-1-note"] = ["Đã số hóa bản giấy"]
    response = client.post(change_url(sampled), values)
    assert response.status_code == 302
    receipt, components, *rest = ChecklistItem.objects.filter(sampled=sampled).order_by("id")
    assert (receipt.is_checked, receipt.confirmed) == (True, True)
    assert (components.prefilled, components.confirmed) == (False, True)
    assert components.note == "Đã số hóa bản giấy"
    assert not any(item.is_checked for item in rest)
    assert InspectionLog.objects.filter(inspection=started, action="check").count() == 1


def test_an_unannounced_inspection_is_not_listed_to_its_unit_before_it_starts(client, world, plan):
    inspection = plan(kind="unannounced")
    client.force_login(world.leader)
    response = client.get(reverse("admin:inspections_inspection_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert client.get(change_url(inspection)).status_code == 302  # "does not exist" redirect


# --- findings -----------------------------------------------------------------------------------


def test_the_team_edits_a_finding_in_the_admin_while_in_progress(client, world, finding):
    client.force_login(world.inspector)
    page = client.get(change_url(finding))
    values = form_values(page, "finding_form")
    values["severity"] = ["serious"]
    response = client.post(change_url(finding), values)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Finding.objects.get(pk=finding.pk).severity == "serious"
    entry = InspectionLog.objects.get(action="update_finding")
    assert entry.payload == {"severity": "serious"}


def test_a_finding_is_read_only_in_the_admin_once_the_inspection_is_concluded(
    client, world, finding
):
    services.conclude_inspection(
        inspection=finding.inspection, actor=world.inspector, conclusion="Vi phạm"
    )
    client.force_login(world.inspector)
    page = client.get(change_url(finding))
    assert page.status_code == 200
    assert b'name="description"' not in page.content
    assert b'name="_save"' not in page.content
    assert b"this finding is evidence" in page.content
    response = client.post(
        change_url(finding),
        {"staff": world.clerk.pk, "kind": "other", "severity": "serious", "description": "Sửa"},
    )
    assert response.status_code == 403
    delete_url = reverse("admin:inspections_finding_delete", args=[finding.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    stored = Finding.objects.get(pk=finding.pk)
    assert (stored.kind, stored.severity, stored.description) == (
        "no_receipt",
        "minor",
        "Không cấp giấy tiếp nhận",
    )


def test_follow_up_buttons_work_after_conclusion(client, world, finding):
    services.conclude_inspection(
        inspection=finding.inspection, actor=world.inspector, conclusion="Vi phạm"
    )
    client.force_login(world.clerk)
    page = client.get(change_url(finding))
    remedy_url = reverse("admin:inspections_finding_follow_up", args=[finding.pk, "remedy"])
    assert remedy_url.encode() in page.content
    response = client.post(remedy_url, {"note": "Đã cấp giấy"}, follow=True)
    assert shown_messages(response) == ["Done: Report as remedied."]
    client.force_login(world.inspector)
    verify_url = reverse("admin:inspections_finding_follow_up", args=[finding.pk, "verify"])
    client.post(verify_url, {"note": ""})
    assert Finding.objects.get(pk=finding.pk).follow_up == "verified"


def test_staff_see_only_their_own_findings_in_the_admin(client, world, finding):
    client.force_login(world.specialist)
    response = client.get(reverse("admin:inspections_finding_changelist"))
    assert response.context["cl"].result_count == 0
    client.force_login(world.clerk)
    response = client.get(reverse("admin:inspections_finding_changelist"))
    assert response.context["cl"].result_count == 1


def test_the_accountability_page_lists_staff_and_units(client, world, started):
    dossier = new_dossier(world, channel="direct", at=local(2025, 3, 3, 9, 0))
    client.force_login(world.leader)
    url = reverse("admin:inspections_accountability")
    response = client.get(url + "?first_day=2025-03-01&last_day=2025-03-31")
    assert response.status_code == 200
    assert [row["staff"] for row in response.context["staff_rows"]] == [world.clerk]
    assert [row["unit"] for row in response.context["unit_rows"]] == [dossier.unit]
    client.force_login(world.clerk)
    assert client.get(url).status_code == 403

"""The Django admin: pages load, dossier actions go through the services, scoping holds."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin, messages
from django.urls import reverse

from procedures.models import Dossier, DossierState, DossierTransition
from tests.dossiers import digitize_all, dossier_in, new_dossier

S = DossierState
pytestmark = pytest.mark.django_db

TRANSITION_ACTION = re.compile(r'action="/admin/procedures/dossier/(\d+)/transition/(\w+)/"')


@pytest.fixture
def client(client):
    """English pages, so that messages can be compared word for word."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def change_url(dossier):
    return reverse("admin:procedures_dossier_change", args=[dossier.pk])


def transition_url(dossier, action):
    return reverse("admin:procedures_dossier_transition", args=[dossier.pk, action])


def offered_actions(response, dossier):
    body = response.content.decode()
    return {action for pk, action in TRANSITION_ACTION.findall(body) if int(pk) == dossier.pk}


def shown_messages(response):
    return [(m.level, str(m.message)) for m in messages.get_messages(response.wsgi_request)]


class FormNesting(HTMLParser):
    """Records how deeply each transition form sits inside other forms."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.transition_form_depths = []

    def handle_starttag(self, tag, attrs):
        if tag == "form":
            self.depth += 1
            if "/transition/" in (dict(attrs).get("action") or ""):
                self.transition_form_depths.append(self.depth)

    def handle_endtag(self, tag):
        if tag == "form":
            self.depth -= 1


# --- pages load ------------------------------------------------------------------------------


def test_login_page_loads_for_anonymous_visitors(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_anonymous_visitor_is_sent_to_login_from_the_dossier_list(client):
    response = client.get(reverse("admin:procedures_dossier_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_every_registered_changelist_loads_for_a_superuser(client, world):
    dossier_in(world, S.APPRAISAL)
    client.force_login(world.admin)
    statuses = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        statuses[url] = client.get(url).status_code
    assert len(statuses) >= 8
    assert statuses == dict.fromkeys(statuses, 200)


def test_dossier_changelist_lists_only_the_clerks_own_unit(client, world):
    own = new_dossier(world)
    other = new_dossier(world, unit=world.other_unit, actor=world.other_clerk)
    client.force_login(world.clerk)
    response = client.get(reverse("admin:procedures_dossier_changelist"))
    assert response.status_code == 200
    assert own.code.encode() in response.content
    assert other.code.encode() not in response.content


# --- transition buttons ----------------------------------------------------------------------


def test_clerk_is_not_offered_forward_before_components_are_digitized(client, world):
    dossier = dossier_in(world, S.INTAKE)
    client.force_login(world.clerk)
    response = client.get(change_url(dossier))
    assert response.status_code == 200
    assert offered_actions(response, dossier) == {"request_supplement", "withdraw"}


def test_clerk_is_offered_forward_once_components_are_digitized(client, world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    client.force_login(world.clerk)
    response = client.get(change_url(dossier))
    assert response.status_code == 200
    assert offered_actions(response, dossier) == {"forward", "request_supplement", "withdraw"}
    assert transition_url(dossier, "forward").encode() in response.content
    assert transition_url(dossier, "approve").encode() not in response.content
    assert transition_url(dossier, "reject").encode() not in response.content


def test_approver_is_offered_the_approval_actions_and_clerk_only_withdrawal(client, world):
    dossier = dossier_in(world, S.APPROVAL)
    client.force_login(world.approver)
    approver_page = client.get(change_url(dossier))
    client.force_login(world.clerk)
    clerk_page = client.get(change_url(dossier))
    assert offered_actions(approver_page, dossier) == {"approve", "send_back", "reject"}
    assert offered_actions(clerk_page, dossier) == {"withdraw"}


def test_inspector_reads_a_dossier_but_is_offered_no_action(client, world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    client.force_login(world.inspector)
    response = client.get(change_url(dossier))
    assert response.status_code == 200
    assert dossier.code.encode() in response.content
    assert offered_actions(response, dossier) == set()
    assert b"You have no action to take on this dossier now." in response.content


def test_transition_forms_are_not_nested_inside_the_admin_change_form(client, world):
    """Browsers ignore a <form> inside another: its button would submit the outer form."""
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    client.force_login(world.clerk)
    parser = FormNesting()
    parser.feed(client.get(change_url(dossier)).content.decode())
    assert parser.transition_form_depths == [1, 1, 1]


def test_posting_a_transition_moves_the_dossier_through_the_service(client, world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    version = dossier.version
    client.force_login(world.clerk)
    response = client.post(transition_url(dossier, "forward"), {"note": "Đủ thành phần"})
    assert response.status_code == 302
    assert response["Location"] == change_url(dossier)
    dossier.refresh_from_db()
    assert dossier.state == S.APPRAISAL
    assert dossier.version == version + 1
    log = DossierTransition.objects.filter(dossier=dossier, action="forward").get()
    assert (log.source_state, log.target_state) == (S.INTAKE, S.APPRAISAL)
    assert log.actor == world.clerk
    assert log.note == "Đủ thành phần"
    assert shown_messages(response) == [(messages.SUCCESS, "Done: Forward to appraisal.")]


def test_posting_a_transition_with_its_reason_records_the_reason(client, world):
    dossier = dossier_in(world, S.INTAKE)
    client.force_login(world.clerk)
    client.post(transition_url(dossier, "request_supplement"), {"reason": "Thiếu giấy khai sinh"})
    dossier.refresh_from_db()
    assert dossier.state == S.SUPPLEMENT
    log = DossierTransition.objects.filter(dossier=dossier).order_by("-at", "-id").first()
    assert log.action == "request_supplement"
    assert log.payload["reason"] == "Thiếu giấy khai sinh"


def test_posting_without_a_required_reason_leaves_the_state_and_shows_an_error(client, world):
    dossier = dossier_in(world, S.INTAKE)
    logged = DossierTransition.objects.filter(dossier=dossier).count()
    version = dossier.version
    client.force_login(world.clerk)
    response = client.post(
        transition_url(dossier, "request_supplement"), {"reason": "   "}, follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain == [(change_url(dossier), 302)]
    dossier.refresh_from_db()
    assert dossier.state == S.INTAKE
    assert dossier.version == version
    assert DossierTransition.objects.filter(dossier=dossier).count() == logged
    shown = [(m.level, m.message) for m in response.context["messages"]]
    assert shown == [
        (messages.ERROR, "The data sent is not valid. reason: This field is required.")
    ]


def test_posting_forward_before_digitization_is_refused_with_the_condition_message(client, world):
    dossier = dossier_in(world, S.INTAKE)
    client.force_login(world.clerk)
    response = client.post(transition_url(dossier, "forward"))
    dossier.refresh_from_db()
    assert dossier.state == S.INTAKE
    assert shown_messages(response) == [
        (messages.ERROR, "Every required component must be digitized first.")
    ]


def test_posting_an_action_of_another_role_leaves_the_state(client, world):
    dossier = dossier_in(world, S.APPROVAL)
    client.force_login(world.clerk)
    response = client.post(transition_url(dossier, "approve"))
    dossier.refresh_from_db()
    assert dossier.state == S.APPROVAL
    assert [level for level, _ in shown_messages(response)] == [messages.ERROR]


def test_unknown_action_is_forbidden(client, world):
    dossier = dossier_in(world, S.INTAKE)
    client.force_login(world.clerk)
    response = client.post(transition_url(dossier, "destroy"))
    assert response.status_code == 403
    dossier.refresh_from_db()
    assert dossier.state == S.INTAKE


def test_transition_url_refuses_get(client, world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    client.force_login(world.clerk)
    response = client.get(transition_url(dossier, "forward"))
    assert response.status_code == 405
    dossier.refresh_from_db()
    assert dossier.state == S.INTAKE


# --- scoping ---------------------------------------------------------------------------------


def test_clerk_of_another_unit_gets_404_when_posting_a_transition(client, world):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    client.force_login(world.other_clerk)
    response = client.post(transition_url(dossier, "forward"))
    assert response.status_code == 404
    dossier.refresh_from_db()
    assert dossier.state == S.INTAKE
    assert not DossierTransition.objects.filter(dossier=dossier, action="forward").exists()


def test_clerk_of_another_unit_cannot_open_the_dossier_page(client, world):
    dossier = dossier_in(world, S.INTAKE)
    client.force_login(world.other_clerk)
    response = client.get(change_url(dossier), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert dossier.code.encode() not in response.content
    assert [level for level, _ in shown_messages(response)] == [messages.WARNING]


# --- the transition log is read-only ---------------------------------------------------------


def test_transition_log_admin_grants_no_add_change_or_delete_even_to_a_superuser(rf, world):
    dossier_in(world, S.INTAKE)
    request = rf.get("/admin/")
    request.user = world.admin
    model_admin = admin.site._registry[DossierTransition]
    entry = DossierTransition.objects.first()
    assert model_admin.has_view_permission(request, entry) is True
    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request, entry) is False
    assert model_admin.has_delete_permission(request, entry) is False


def test_posting_to_the_transition_log_delete_url_deletes_nothing(client, world):
    dossier_in(world, S.INTAKE)
    entry = DossierTransition.objects.first()
    client.force_login(world.admin)
    url = reverse("admin:procedures_dossiertransition_delete", args=[entry.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 403
    assert DossierTransition.objects.filter(pk=entry.pk).exists()


def test_delete_selected_action_on_the_transition_log_deletes_nothing(client, world):
    dossier_in(world, S.INTAKE)
    count = DossierTransition.objects.count()
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:procedures_dossiertransition_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(DossierTransition.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert response.status_code in (200, 302)
    assert DossierTransition.objects.count() == count == 2


def test_transition_log_add_and_change_pages_are_forbidden(client, world):
    dossier_in(world, S.INTAKE)
    entry = DossierTransition.objects.first()
    client.force_login(world.admin)
    add = client.post(reverse("admin:procedures_dossiertransition_add"), {"action": "x"})
    change = client.post(
        reverse("admin:procedures_dossiertransition_change", args=[entry.pk]),
        {"action": "tampered", "note": "tampered"},
    )
    assert (add.status_code, change.status_code) == (403, 403)
    entry.refresh_from_db()
    assert (entry.action, entry.note) == ("create", "")
    assert DossierTransition.objects.filter(action__in=["x", "tampered"]).count() == 0


def test_dossier_admin_cannot_delete_a_dossier(client, world):
    dossier = dossier_in(world, S.INTAKE)
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:procedures_dossier_delete", args=[dossier.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Dossier.objects.filter(pk=dossier.pk).exists()

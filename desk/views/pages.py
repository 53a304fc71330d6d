"""Home, the queue and the language switch."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from desk.queue import PAGE_SIZE, QueueFilter, read_queue, tabs_for
from desk.views.common import PUBLIC_LOOKUP_URL, desk_view, is_staff_member
from procedures.models import Procedure
from procedures.scoping import readable_unit_ids


def home(request):
    """Staff to their desk; anyone else to the citizens' look-up."""
    if is_staff_member(request.user):
        return redirect("desk:queue")
    return redirect(PUBLIC_LOOKUP_URL)


FILTERS = ("q", "procedure", "state", "overdue")


@desk_view
def queue(request):
    user = request.user
    tabs = tabs_for(user)
    if not tabs:
        return render(request, "desk/queue.html", {"tabs": [], "rows": []})
    tab = next((t for t in tabs if t.key == request.GET.get("tab")), tabs[0])
    form = QueueFilter(request.GET or None, tab=tab, procedures=_procedures_of(user))
    try:
        page_size = min(max(int(request.GET.get("page_size", PAGE_SIZE)), 1), 200)
    except ValueError:
        page_size = PAGE_SIZE
    counts, rows, pagination = read_queue(request, tab=tab, form=form, page_size=page_size)
    links = pagination.get_paginated_response([]).data
    return render(
        request,
        "desk/queue.html",
        {
            "tabs": [(t, counts[t.key]) for t in tabs],
            "tab": tab,
            "form": form,
            "rows": rows,
            "next_link": links["next"],
            "previous_link": links["previous"],
            "filtered": any(request.GET.get(name) for name in FILTERS),
        },
    )


def _procedures_of(user):
    units = readable_unit_ids(user)
    procedures = Procedure.objects.filter(active=True).only("code", "name").order_by("code")
    if units is not None:
        procedures = procedures.filter(units__in=units).distinct()
    return procedures


@require_POST
def switch_language(request):
    """Keep the user's language in the language cookie (Vietnamese unless they choose English)."""
    language = request.POST.get("language")
    target = request.POST.get("next") or "/desk/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/desk/"
    response = HttpResponseRedirect(target)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response

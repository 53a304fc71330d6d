"""Pieces every desk view shares: who may use the desk, and reading a dossier in scope."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from procedures import selectors
from procedures.models import DossierComponent, Role

PUBLIC_LOOKUP_URL = "/tra-cuu/"
DESK_ROLES = frozenset(Role.values)


def is_staff_member(user) -> bool:
    return user.is_authenticated and user.is_active and user.effective_role in DESK_ROLES


def desk_view(view):
    """Logged-in staff only: others to the desk's login page, citizens' accounts to the look-up."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "desk:login")
        if not is_staff_member(request.user):
            return redirect(PUBLIC_LOOKUP_URL)
        try:
            return view(request, *args, **kwargs)
        except Http404:  # the site's 404 handler answers in JSON, for the API
            return render(request, "desk/not_found.html", status=404)

    return wrapped


def dossier_in_scope(user, code: str):
    """The dossier with what its page shows; 404 when the user may not see it."""
    queryset = (
        selectors.dossiers_visible_to(user)
        .select_related(
            "procedure",
            "unit",
            "handler",
            "created_by",
            "result_file",
            "result_signed_by",
            "apology",
        )
        .prefetch_related(
            Prefetch(
                "components",
                queryset=DossierComponent.objects.select_related("file", "digitized_by").order_by(
                    "position", "id"
                ),
            )
        )
    )
    return get_object_or_404(queryset, code=code)

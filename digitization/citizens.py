"""The citizens' look-up page `/tra-cuu/` (no login, Vietnamese, phone first).

The same look-up rule (digitization.selectors.dossier_for_citizen), throttles and rating service
as the public API; a wrong code and a wrong proof get the same answer.
"""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from digitization import selectors
from digitization.api.views import public_throttle_wait, throttled_message
from digitization.models import Satisfaction
from digitization.ratings import rate_dossier
from digitization.timeline import citizen_view
from procedures.errors import DossierError
from procedures.models import DossierState

NOT_FOUND = _(
    "No dossier matches this code and these 4 characters. Check the code on your receipt and "
    "the last 4 characters of your ID number."
)


class LookupForm(forms.Form):
    ma = forms.CharField(
        label=_("Dossier code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "000.20.31.H40-…"}
        ),
        error_messages={"required": _("Enter the dossier code printed on your receipt.")},
    )
    so_cuoi = forms.RegexField(
        label=_("Last 4 characters of the ID number"),
        regex=r"^[0-9A-Za-z]{4}$",
        max_length=4,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "size": "6", "placeholder": "1234"}
        ),
        error_messages={
            "required": _("Enter the last 4 characters of the applicant's ID number."),
            "invalid": _("Give the last 4 letters or digits of the ID number."),
        },
    )

    def clean_ma(self):
        return self.cleaned_data["ma"].strip()


class RatingForm(LookupForm):
    muc_do = forms.ChoiceField(
        label=_("How satisfied are you?"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the three answers.")},
    )
    khieu_nai = forms.BooleanField(label=_("I also want to file a complaint"), required=False)
    y_kien = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _page(request, *, form, status=200, **context):
    return render(
        request, "digitization/citizen_lookup.html", {"form": form, **context}, status=status
    )


def _find(request, form):
    """(dossier, None) or (None, the error page): the API's throttles, then its look-up rule."""
    wait = public_throttle_wait(request, form.cleaned_data["ma"])
    if wait is not None:
        return None, _page(request, form=form, status=429, error=throttled_message(wait))
    dossier = selectors.dossier_for_citizen(form.cleaned_data["ma"], form.cleaned_data["so_cuoi"])
    if dossier is None:
        return None, _page(request, form=form, status=404, error=NOT_FOUND)
    return dossier, None


def _result(request, form, dossier, *, rating_form=None, status=200, **context):
    view = citizen_view(dossier)
    rated = _rating_of(dossier)
    can_rate = dossier.state == DossierState.COMPLETED and rated is None
    if can_rate and rating_form is None:
        rating_form = RatingForm(
            initial={"ma": form.cleaned_data["ma"], "so_cuoi": form.cleaned_data["so_cuoi"]}
        )
    return _page(
        request,
        form=LookupForm(initial={"ma": form.cleaned_data["ma"]}),
        status=status,
        view=view,
        rated=rated,
        rating_form=rating_form if can_rate else None,
        **context,
    )


def _rating_of(dossier):
    return getattr(dossier, "satisfaction_rating", None)


@require_http_methods(["GET", "POST"])
def lookup(request):
    """GET: the form (the receipt's QR code opens it with `?ma=` filled in). POST: the result.

    The proof is posted, never put in the address, so it stays out of histories and logs.
    """
    if request.method == "GET":
        return _page(request, form=LookupForm(initial={"ma": request.GET.get("ma", "")[:64]}))
    form = LookupForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    dossier, error = _find(request, form)
    return error or _result(request, form, dossier)


@require_http_methods(["POST"])
def rate(request):
    """The satisfaction form under a returned result: once per dossier."""
    form = RatingForm(request.POST)
    lookup_form = LookupForm(request.POST)
    if not lookup_form.is_valid():
        return _page(request, form=lookup_form, status=400)
    dossier, error = _find(request, lookup_form)
    if error:
        return error
    if not form.is_valid():
        return _result(request, lookup_form, dossier, rating_form=form, status=400)
    try:
        rate_dossier(
            dossier=dossier,
            rating=form.cleaned_data["muc_do"],
            complaint=form.cleaned_data["khieu_nai"],
            comment=form.cleaned_data["y_kien"],
        )
    except DossierError as refused:  # already rated, or not returned yet
        dossier = selectors.dossier_for_citizen(dossier.code, lookup_form.cleaned_data["so_cuoi"])
        return _result(request, lookup_form, dossier, status=409, rating_error=refused.message)
    dossier = selectors.dossier_for_citizen(dossier.code, lookup_form.cleaned_data["so_cuoi"])
    return _result(request, lookup_form, dossier, thanks=True)

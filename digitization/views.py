"""The leaders' dashboard (one server-rendered page, no JavaScript) and stored files."""

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from digitization import selectors
from digitization.api.serializers import MAX_PERIOD_DAYS
from digitization.files import may_open_file
from digitization.models import DigitizedFile
from procedures.models import Block, Role

DASHBOARD_ROLES = {Role.LEADER, Role.INSPECTOR}


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)
    block = forms.ChoiceField(
        label=_("Block"), required=False, choices=[("", _("All blocks")), *Block.choices]
    )

    def clean(self):
        data = super().clean()
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or date(end.year, 1, 1)
        if start > end:
            raise forms.ValidationError(_("The period must not start after it ends."))
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                _("The period may not be longer than %(days)d days.") % {"days": MAX_PERIOD_DAYS}
            )
        data["start"], data["end"] = start, end
        return data


@login_required
def dashboard(request):
    """Per block totals and the units ranked by score, for a chosen period."""
    user = request.user
    if not (user.is_active and (user.is_admin or user.effective_role in DASHBOARD_ROLES)):
        raise PermissionDenied
    form = PeriodForm(request.GET)
    context = {"form": form, "blocks": [], "ranked": [], "block_choices": Block.choices}
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        block = form.cleaned_data.get("block") or None
        rows = selectors.unit_indicators(user, start=start, end=end)
        shown = [row for row in rows if block is None or row.unit.block == block]
        context.update(
            start=start,
            end=end,
            block=block,
            blocks=selectors.block_totals(rows, on=start),
            ranked=selectors.ranked(shown, "score"),
        )
    return render(request, "digitization/dashboard.html", context)


@login_required
def digitized_file(request, pk):
    """A stored file, with its real content type, to those whose scope covers it."""
    stored = get_object_or_404(DigitizedFile, pk=pk)
    if not may_open_file(request.user, stored):
        raise PermissionDenied(
            _(
                "Only the staff of the unit handling the dossier and the inspectors overseeing "
                "it may open this file."
            )
        )
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle, content_type=stored.content_type, filename=stored.original_name or None
    )
    patch_cache_control(response, private=True, no_cache=True)
    return response

"""Printable forms for staff (HTML, login required, scoped like the API)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from procedures import selectors
from procedures.models import ApologyLetter


@login_required
def apology_letter(request, code):
    """Form 04: the apology and new appointment, ready to print and hand to the citizen."""
    dossier = get_object_or_404(
        selectors.dossiers_visible_to(request.user).select_related("procedure", "unit"), code=code
    )
    letter = get_object_or_404(ApologyLetter.objects.select_related("issued_by"), dossier=dossier)
    return render(request, "procedures/apology_letter.html", {"dossier": dossier, "letter": letter})

"""Who may open a stored file (a component's scan, a result document, an inspection's evidence),
and the one function that serves it (the dashboard's /files/<pk>/ and the desk's scan viewer).

Scans and results carry the applicant's personal data, so they follow the personal-data rule of
the API (procedures.selectors.personal_data_unit_ids): the staff of the unit handling the
dossier and the inspectors overseeing it. Evidence files follow the findings they belong to.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from digitization.models import DigitizedFile
from procedures.models import Dossier
from procedures.selectors import personal_data_unit_ids


def may_open_file(user, stored: DigitizedFile) -> bool:
    from inspections.selectors import findings_visible_to

    if not user.is_active:
        return False
    dossiers = Dossier.objects.filter(unit_id__in=personal_data_unit_ids(user))
    if dossiers.filter(Q(result_file=stored) | Q(components__file=stored)).exists():
        return True
    return findings_visible_to(user).filter(evidence=stored).exists()


def serve_file(request, stored: DigitizedFile, *, framable_by_site: bool = False) -> FileResponse:
    """`stored` inline with its real content type, to those whose scope covers it (else a 403
    page); a file missing from storage is a 404. `framable_by_site`: the desk's scan viewer shows
    it in a frame of this site's own pages, and no one else's."""
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
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_cache=True, no_store=True)
    if framable_by_site:
        response["Content-Security-Policy"] = "frame-ancestors 'self'"
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response

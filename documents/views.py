"""The public verification page of issued results: /xac-thuc/{code}/ (no login)."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from documents.selectors import signed_result_of, verification
from documents.services import file_sha256


@require_http_methods(["GET", "POST"])
def verify_result(request, code):
    """Whether the result issued under `code` is signed, by whom, when; and whether a file the
    visitor holds is that result (hashed in memory or a temporary file, never stored)."""
    if (
        request.method == "POST"
        and _declared_length(request) > settings.UPLOAD_MAX_BYTES + 1024 * 1024
    ):
        return HttpResponse(status=413)
    result = signed_result_of(code)
    context = {"code": code, "result": None, "checked": None}
    if result is not None:
        sha256 = None
        upload = request.FILES.get("file") if request.method == "POST" else None
        if upload is not None:
            sha256 = file_sha256(upload)
        context["result"] = verification(result, sha256)
        context["signed_at"] = result.signed_at
        context["checked"] = upload is not None
    return render(
        request,
        "documents/verify_result.html",
        context,
        status=200 if result is not None else 404,
    )


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0

"""API of the documents app: forms as PDF, the log book, signing the result, public verification."""

from datetime import date, timedelta

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import ErrorSerializer
from digitization.api.renderers import XLSX_MEDIA_TYPE
from digitization.api.views import PerClientThrottle, PerDossierThrottle, PublicSchema
from documents import forms, services
from documents.models import FormKind
from documents.selectors import signed_result_of, verification
from procedures import selectors
from procedures.api.serializers import DossierDetailSerializer
from procedures.api.views import DossierViewSet
from procedures.models import User

PDF = "application/pdf"
LOG_BOOK_MAX_DAYS = 366
FORM_KINDS = [kind.value for kind in FormKind if kind != FormKind.LOG_BOOK]

CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("Dossier code.")
)
UNIT_CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("Unit code.")
)
FORM = OpenApiParameter(
    "form",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=FORM_KINDS,
    description=_("01 receipt, 02 supplement request, 03 refusal, 04 apology, 05 control slip."),
)


class FileAnswerView(APIView):
    """Answers a file, or a JSON error: never 406 for an Accept header naming the file's type."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return JSONRenderer(), JSONRenderer.media_type


def file_response(
    content: bytes, content_type: str, filename: str, sha256: str = ""
) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    if sha256:
        response["X-Content-SHA256"] = sha256
    return response


class DossierFormView(FileAnswerView):
    error_statuses = {"get": ("409",)}

    @extend_schema(
        summary="A statutory form of the dossier, as PDF",
        description=(
            "Forms 01-04 are issued on their first download (recorded with their SHA-256, time "
            "and issuer, by the unit's staff only) and later downloads return the same bytes; "
            "the `X-Content-SHA256` header carries the hash. Form 05 is drawn from the "
            "transition log each time. 409 `form_not_available` when the dossier has no such "
            "event (e.g. no supplement was requested)."
        ),
        parameters=[CODE, FORM],
        responses={(200, PDF): OpenApiTypes.BINARY},
    )
    def get(self, request, code, form):
        if form not in FORM_KINDS:
            raise NotFound()
        dossier = get_object_or_404(
            selectors.dossiers_visible_to(request.user).select_related(
                "unit", "unit__parent", "procedure", "handler"
            ),
            code=code,
        )
        content, sha256 = forms.form_pdf(dossier, form, actor=request.user)
        return file_response(content, PDF, forms.form_filename(dossier, form), sha256)


class LogBookQuery(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text=_("First day (YYYY-MM-DD); default the 1st of this month.")
    )
    end = serializers.DateField(required=False, help_text=_("Last day; default today."))
    format = serializers.ChoiceField(choices=["pdf", "xlsx"], default="pdf")

    def validate(self, data):
        today = timezone.localdate()
        data.setdefault("end", today)
        data.setdefault("start", date(data["end"].year, data["end"].month, 1))
        if data["start"] > data["end"]:
            raise serializers.ValidationError({"start": [_("The period starts after it ends.")]})
        if data["end"] - data["start"] > timedelta(days=LOG_BOOK_MAX_DAYS):
            raise serializers.ValidationError(
                {"end": [_("The period is at most %(days)s days.") % {"days": LOG_BOOK_MAX_DAYS}]}
            )
        return data


class UnitLogBookView(FileAnswerView):
    error_statuses = {"get": ("400",)}

    @extend_schema(
        summary="The unit's log book (form 06) for a period, as PDF or XLSX",
        description="Dossiers the unit received in the period, in order of receipt.",
        parameters=[UNIT_CODE, LogBookQuery],
        responses={(200, PDF): OpenApiTypes.BINARY, (200, XLSX_MEDIA_TYPE): OpenApiTypes.BINARY},
    )
    def get(self, request, code):
        unit = get_object_or_404(
            selectors.units_visible_to(request.user).select_related("parent"), code=code
        )
        query = LogBookQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data["start"], query.validated_data["end"]
        name = f"so-theo-doi-{unit.code}-{start:%Y%m%d}-{end:%Y%m%d}"
        if query.validated_data["format"] == "xlsx":
            return file_response(
                forms.log_book_xlsx(unit, start, end), XLSX_MEDIA_TYPE, f"{name}.xlsx"
            )
        return file_response(forms.log_book_pdf(unit, start, end), PDF, f"{name}.pdf")


class SignInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    assignee = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Username of the clerk who returns the result."),
    )


class SignedUploadInput(SignInput):
    file = serializers.FileField(help_text=_("The result PDF, already signed (PAdES)."))


class DossierActionView(APIView):
    def dossier(self, request, code):
        return get_object_or_404(selectors.dossiers_visible_to(request.user), code=code)

    def answer(self, request, dossier):
        view = DossierViewSet(request=request, format_kwarg=None, kwargs={"code": dossier.code})
        view.action = "retrieve"
        return view.detail_response(dossier.pk)


class SignResultView(DossierActionView):
    error_statuses = {"post": ("409",)}

    @extend_schema(
        summary="Sign the result with the approver's credential (PAdES) and move to delivery",
        description=(
            "Signs the attached result PDF with the approver's certificate (visible stamp with "
            "signer, unit, time and a QR code of the public verification page), stores the "
            "signed file and its SHA-256 and keeps the unsigned original, then makes the `sign` "
            "transition, all in one transaction. 409 `signing_credential_missing` / "
            "`signing_credential_invalid` / `signing_passphrase_missing` when the approver "
            "cannot sign here; the dossier is then unchanged."
        ),
        parameters=[CODE],
        request=SignInput,
        responses={200: DossierDetailSerializer},
    )
    def post(self, request, code):
        dossier = self.dossier(request, code)
        data = SignInput(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.sign_dossier_result(
            dossier=dossier,
            actor=request.user,
            assignee=data.validated_data.get("assignee"),
            note=data.validated_data["note"],
        )
        return self.answer(request, moved)


class ResultForSigningView(FileAnswerView):
    error_statuses = {"get": ("409",)}

    @extend_schema(
        summary="The result with its verification QR code, to sign outside the system",
        description=(
            "For approvers who sign with a USB token or a remote-signing service: the attached "
            "result with the QR code of the public verification page stamped on its last page. "
            "Sign this file and upload it to `result/signed/`."
        ),
        parameters=[CODE],
        responses={(200, PDF): OpenApiTypes.BINARY},
    )
    def get(self, request, code):
        dossier = get_object_or_404(
            selectors.dossiers_visible_to(request.user).select_related("unit", "result_file"),
            code=code,
        )
        content = services.result_for_outside_signing(dossier=dossier, actor=request.user)
        return file_response(content, PDF, f"{dossier.code}-de-ky.pdf")


class SignedUploadView(DossierActionView):
    parser_classes = [MultiPartParser, FormParser]
    error_statuses = {"post": ("409", "413")}

    @extend_schema(
        summary="Upload the result signed outside the system (USB token, remote signing)",
        description=(
            "Checked before anything is stored: it carries a signature, the document is intact "
            "(`signature_not_intact`), the signer's certificate is valid now "
            "(`signature_expired`), chains to a configured trust root (`signature_untrusted`) "
            "and is one registered to this approver (`signature_wrong_signer`); each failure is "
            "a 400 with that code."
        ),
        parameters=[CODE],
        request={"multipart/form-data": SignedUploadInput},
        responses={200: DossierDetailSerializer},
    )
    def post(self, request, code):
        dossier = self.dossier(request, code)
        data = SignedUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.accept_signed_result(
            dossier=dossier,
            actor=request.user,
            upload=data.validated_data["file"],
            assignee=data.validated_data.get("assignee"),
            note=data.validated_data["note"],
        )
        return self.answer(request, moved)


# --- public verification ----------------------------------------------------------------------


class CertificateSerializer(serializers.Serializer):
    issuer = serializers.CharField()
    serial_number = serializers.CharField()
    valid_until = serializers.DateTimeField()


class VerificationSerializer(serializers.Serializer):
    code = serializers.CharField()
    signed = serializers.BooleanField()
    signer_name = serializers.CharField()
    signer_unit = serializers.CharField()
    signed_at = serializers.DateTimeField()
    method = serializers.CharField()
    sha256 = serializers.CharField(help_text=_("SHA-256 of the issued signed file."))
    certificate = CertificateSerializer()
    matches = serializers.BooleanField(
        allow_null=True,
        help_text=_("Whether the file (or hash) sent is the issued one; null when none was sent."),
    )


class VerifyQuery(serializers.Serializer):
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$",
        required=False,
        help_text=_("SHA-256 of a file you hold, to compare with the issued one."),
    )


class VerifyUpload(serializers.Serializer):
    file = serializers.FileField(help_text=_("A file you hold; hashed, compared, not stored."))


class ResultVerificationView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [PerClientThrottle, PerDossierThrottle]
    renderer_classes = [JSONRenderer]
    parser_classes = [MultiPartParser, FormParser]
    schema = PublicSchema()
    error_statuses = {"get": ("400",)}

    def result(self, code):
        result = signed_result_of(code)
        if result is None:
            raise NotFound(_("No signed result was issued under this code."))
        return result

    @extend_schema(
        summary="Verify an issued result (public, no login)",
        description=(
            "Whether the dossier's result was issued signed, by whom (name and unit as in the "
            "certificate) and when. With `sha256`, whether a file you hold is the issued one. "
            "No personal data. 404 when no signed result was issued under the code."
        ),
        auth=[],
        parameters=[CODE, VerifyQuery],
        responses={
            200: VerificationSerializer,
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; retry later."),
        },
    )
    def get(self, request, code):
        query = VerifyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = self.result(code)
        digest = query.validated_data.get("sha256")
        return Response(verification(result, digest.lower() if digest else None))

    @extend_schema(
        summary="Check a file against the issued result (public, no login)",
        description="The file is hashed and compared with the issued signed result; not stored.",
        auth=[],
        parameters=[CODE],
        request={"multipart/form-data": VerifyUpload},
        responses={
            200: VerificationSerializer,
            429: OpenApiResponse(ErrorSerializer, description="Too many attempts; retry later."),
        },
    )
    def post(self, request, code):
        data = VerifyUpload(data=request.data)
        data.is_valid(raise_exception=True)
        result = self.result(code)
        return Response(verification(result, services.file_sha256(data.validated_data["file"])))


urlpatterns = [
    path(
        "dossiers/<str:code>/forms/<str:form>/",
        DossierFormView.as_view(),
        name="dossier-form",
    ),
    path("units/<str:code>/log-book/", UnitLogBookView.as_view(), name="unit-log-book"),
    path("dossiers/<str:code>/result/sign/", SignResultView.as_view(), name="dossier-result-sign"),
    path(
        "dossiers/<str:code>/result/for-signing/",
        ResultForSigningView.as_view(),
        name="dossier-result-for-signing",
    ),
    path(
        "dossiers/<str:code>/result/signed/",
        SignedUploadView.as_view(),
        name="dossier-result-signed",
    ),
    path(
        "public/results/<str:code>/verify/",
        ResultVerificationView.as_view(),
        name="public-result-verify",
    ),
]

"""POST/GET /api/v1/dossiers/{code}/apologies/: the apology letter (form 04) of a dossier."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from procedures import selectors, services
from procedures.models import ApologyLetter

DOSSIER_CODE = OpenApiParameter(
    "code", OpenApiTypes.STR, OpenApiParameter.PATH, description=_("Dossier code.")
)


class ApologyInput(serializers.Serializer):
    reason = serializers.CharField(max_length=4000, help_text=_("Why the dossier is late."))
    new_appointment_date = serializers.DateField(
        help_text=_("The new day for returning the result: a working day after today.")
    )


class ApologyLetterSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code")
    issued_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    appointment_at = serializers.DateTimeField(
        source="dossier.appointment_at",
        help_text=_("The appointment the citizen is given: close of office on the new date."),
    )
    form_url = serializers.SerializerMethodField(
        help_text=_("The printable form 04 (HTML, staff login).")
    )

    class Meta:
        model = ApologyLetter
        fields = [
            "dossier",
            "reason",
            "new_appointment_date",
            "appointment_at",
            "missed_due_at",
            "issued_by",
            "issued_at",
            "form_url",
        ]

    def get_form_url(self, letter) -> str:
        path = reverse("procedures:apology-letter", kwargs={"code": letter.dossier.code})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


@extend_schema_view(
    list=extend_schema(
        summary="The dossier's apology letter (form 04), if issued",
        parameters=[DOSSIER_CODE],
        responses=ApologyLetterSerializer(many=True),
    ),
    create=extend_schema(
        summary="Issue the apology letter (form 04) with a new appointment",
        description=(
            "Only for a dossier in a step that is overdue or due today, once per dossier. The "
            "new appointment date must be a working day after today; it becomes the appointment "
            "the citizen is given, the statutory due date does not change. The citizen is "
            "notified by email."
        ),
        parameters=[DOSSIER_CODE],
        request=ApologyInput,
        responses={201: ApologyLetterSerializer},
    ),
)
class DossierApologyViewSet(viewsets.GenericViewSet):
    serializer_class = ApologyLetterSerializer
    pagination_class = None
    filter_backends = []
    error_statuses = {"create": ("409",)}

    def get_dossier(self):
        return get_object_or_404(
            selectors.dossiers_visible_to(self.request.user), code=self.kwargs["code"]
        )

    def get_queryset(self):
        return ApologyLetter.objects.select_related("dossier", "issued_by")

    def list(self, request, code=None):
        letters = self.get_queryset().filter(dossier=self.get_dossier())
        return Response(self.get_serializer(letters, many=True).data)

    def create(self, request, code=None):
        dossier = self.get_dossier()
        data = ApologyInput(data=request.data)
        data.is_valid(raise_exception=True)
        letter = services.issue_apology(dossier=dossier, actor=request.user, **data.validated_data)
        letter = self.get_queryset().get(pk=letter.pk)
        return Response(self.get_serializer(letter).data, status=status.HTTP_201_CREATED)

"""Inspections (with their sample, checklists and log) and findings (with follow-up)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.parsers import FormParser, MultiPartParser
from api.transitions import add_transition_endpoints
from inspections import selectors, services
from inspections.api.filters import FindingFilter, InspectionFilter
from inspections.api.serializers import (
    ChecklistInput,
    EvidenceInput,
    FindingInput,
    FindingSerializer,
    InspectionChangeInput,
    InspectionInput,
    InspectionListSerializer,
    InspectionLogSerializer,
    InspectionSerializer,
    SampledDossierSerializer,
    SampleInput,
)
from inspections.models import FINDING_MACHINE, INSPECTION_MACHINE
from procedures.errors import ActionForbidden
from procedures.models import User

FINDING_WRITES_409 = ("409",)


class InputMixin:
    def validate_input(self, serializer_class, **kwargs) -> dict:
        serializer = serializer_class(
            data=self.request.data, context=self.get_serializer_context(), **kwargs
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


SampleSerializer = inline_serializer(
    "Sample",
    {
        "size": serializers.IntegerField(allow_null=True),
        "seed": serializers.IntegerField(allow_null=True),
        "overdue_share": serializers.FloatField(allow_null=True),
        "sampled_at": serializers.DateTimeField(allow_null=True),
        "dossiers": SampledDossierSerializer(many=True),
    },
)


@extend_schema_view(
    list=extend_schema(summary="List inspections"),
    retrieve=extend_schema(summary="One inspection"),
)
class InspectionViewSet(
    InputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Inspections of the units you oversee; an unannounced one stays hidden from the inspected
    unit until it starts (404)."""

    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    lookup_value_regex = "[0-9]+"
    orderings = ("-created_at", "created_at")
    default_ordering = "-created_at"
    http_method_names = ["get", "post", "patch", "head", "options"]
    error_statuses = {
        "partial_update": ("409",),
        "start": ("409",),
        "conclude": ("409",),
        "close": ("409",),
        "draw_sample": ("409",),
        "check": ("409",),
        "record_finding": ("409",),
    }

    def get_serializer_class(self):
        return InspectionListSerializer if self.action == "list" else InspectionSerializer

    def get_queryset(self):
        return (
            selectors.inspections_visible_to(self.request.user)
            .select_related("unit", "lead")
            .prefetch_related("members")
        )

    def detail_response(self, pk, status_code=status.HTTP_200_OK) -> Response:
        inspection = self.get_queryset().get(pk=pk)
        return Response(self.get_serializer(inspection).data, status=status_code)

    @extend_schema(
        summary="Plan an inspection (inspectors with authority over the unit)",
        request=InspectionInput,
        responses={201: InspectionSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = self.validate_input(InspectionInput)
        inspection = services.create_inspection(
            actor=request.user,
            unit=data.pop("unit"),
            lead=data.pop("lead", request.user),
            members=data.pop("members", []),
            **data,
        )
        return self.detail_response(inspection.pk, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a planned inspection (the team lead)",
        request=InspectionChangeInput,
        responses={200: InspectionSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        inspection = self.get_object()
        data = self.validate_input(InspectionChangeInput, partial=True)
        members = data.pop("members", None)
        services.update_inspection(
            inspection=inspection, actor=request.user, data=data, members=members
        )
        return self.detail_response(inspection.pk)

    def perform_transition(self, inspection, action, note, data):
        return services.perform_inspection_transition(
            inspection=inspection, actor=self.request.user, action=action, note=note, **data
        )

    def transition_response(self, inspection):
        return self.detail_response(inspection.pk)

    @extend_schema(summary="The inspection's log", responses=InspectionLogSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request, pk=None):
        inspection = self.get_object()
        self._require_working_papers(inspection)
        entries = selectors.inspection_history(inspection)
        return Response(InspectionLogSerializer(entries, many=True).data)

    # --- sample and checklists -----------------------------------------------------------------

    def _require_working_papers(self, inspection):
        if not selectors.may_read_working_papers(self.request.user, inspection):
            raise ActionForbidden(_("The inspection's working papers are for its inspectors."))

    def sample_response(self, inspection) -> Response:
        inspection.refresh_from_db()
        return Response(
            {
                "size": inspection.sample_size,
                "seed": inspection.sample_seed,
                "overdue_share": inspection.sample_overdue_share,
                "sampled_at": inspection.sampled_at,
                "dossiers": SampledDossierSerializer(
                    selectors.sample_of(inspection), many=True
                ).data,
            }
        )

    @extend_schema(
        summary="The sample with each dossier's checklist (inspectors)",
        responses={200: SampleSerializer},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def sample(self, request, pk=None):
        inspection = self.get_object()
        self._require_working_papers(inspection)
        return self.sample_response(inspection)

    @extend_schema(
        summary="Draw the sample of dossiers (the team)",
        request=SampleInput,
        responses={200: SampleSerializer},
    )
    @sample.mapping.post
    def draw_sample(self, request, pk=None):
        inspection = self.get_object()
        data = self.validate_input(SampleInput)
        services.draw_sample(inspection=inspection, actor=request.user, **data)
        return self.sample_response(inspection)

    @extend_schema(
        summary="Confirm or correct checklist items of a sampled dossier (the team)",
        request=ChecklistInput,
        responses={200: SampledDossierSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"sample/(?P<dossier_code>[0-9A-Za-z.\-]+)/checklist",
        filterset_class=None,
    )
    def check(self, request, pk=None, dossier_code=None):
        inspection = self.get_object()
        self._require_working_papers(inspection)
        sampled = get_object_or_404(selectors.sample_of(inspection), dossier__code=dossier_code)
        data = self.validate_input(ChecklistInput)
        services.check_items(sampled=sampled, actor=request.user, answers=data["items"])
        return Response(
            SampledDossierSerializer(selectors.sample_of(inspection).get(pk=sampled.pk)).data
        )

    # --- findings ------------------------------------------------------------------------------

    @extend_schema(
        summary="The findings of this inspection you may see",
        operation_id="inspections_findings_of_inspection",
        responses=FindingSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def findings(self, request, pk=None):
        inspection = self.get_object()
        findings = finding_queryset(request.user).filter(inspection=inspection)
        return Response(
            FindingSerializer(findings, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Record a finding (the team, while the inspection is in progress)",
        operation_id="inspections_record_finding",
        request=FindingInput,
        responses={201: FindingSerializer},
    )
    @findings.mapping.post
    def record_finding(self, request, pk=None):
        inspection = self.get_object()
        data = self.validate_input(FindingInput)
        finding = services.record_finding(inspection=inspection, actor=request.user, **data)
        finding = finding_queryset(request.user).get(pk=finding.pk)
        return Response(
            FindingSerializer(finding, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


# --- findings -----------------------------------------------------------------------------------


def finding_queryset(user):
    return (
        selectors.findings_visible_to(user)
        .select_related("inspection__unit", "staff", "remedied_by", "verified_by", "created_by")
        .prefetch_related(
            "dossiers",
            "evidence",
            Prefetch("inspection__members", queryset=User.objects.only("id")),
        )
    )


@extend_schema_view(
    list=extend_schema(
        summary="List findings (inspectors and leaders: their units; staff: their own)"
    ),
    retrieve=extend_schema(summary="One finding"),
)
class FindingViewSet(
    InputMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Findings: edited by the team while the inspection is in progress; after its conclusion
    they are evidence (409 on any change) and only the follow-up goes on."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    lookup_value_regex = "[0-9]+"
    orderings = ("-created_at", "created_at")
    default_ordering = "-created_at"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    error_statuses = {
        "partial_update": FINDING_WRITES_409,
        "destroy": FINDING_WRITES_409,
        "evidence": ("409", "413"),
        **dict.fromkeys(FINDING_MACHINE.names, ("409",)),
    }

    def get_queryset(self):
        return finding_queryset(self.request.user)

    def detail_response(self, pk) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(
        summary="Change a finding (the team, before the inspection is concluded)",
        request=FindingInput,
        responses={200: FindingSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        finding = self.get_object()
        data = self.validate_input(FindingInput, partial=True)
        dossiers = data.pop("dossiers", None)
        services.update_finding(finding=finding, actor=request.user, data=data, dossiers=dossiers)
        return self.detail_response(finding.pk)

    @extend_schema(
        summary="Delete a finding (the team, before the inspection is concluded)",
        responses={204: None},
    )
    def destroy(self, request, *args, **kwargs):
        finding = self.get_object()
        services.delete_finding(finding=finding, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Attach an evidence file (the team, before the inspection is concluded)",
        request={"multipart/form-data": EvidenceInput},
        responses={200: FindingSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        filterset_class=None,
    )
    def evidence(self, request, pk=None):
        finding = self.get_object()
        data = self.validate_input(EvidenceInput)
        services.add_evidence(finding=finding, actor=request.user, upload=data["file"])
        return self.detail_response(finding.pk)

    def perform_transition(self, finding, action, note, data):
        return services.perform_follow_up(
            finding=finding, actor=self.request.user, action=action, note=note, **data
        )

    def transition_response(self, finding):
        return self.detail_response(finding.pk)


add_transition_endpoints(InspectionViewSet, INSPECTION_MACHINE, response=InspectionSerializer)
add_transition_endpoints(FindingViewSet, FINDING_MACHINE, response=FindingSerializer)

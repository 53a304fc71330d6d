"""Inputs and outputs of the inspection and finding endpoints."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inspections.models import (
    FINDING_MACHINE,
    INSPECTION_MACHINE,
    BreachKind,
    ChecklistItem,
    ChecklistItemKind,
    Finding,
    Inspection,
    InspectionKind,
    InspectionLog,
    SampledDossier,
    Severity,
)
from inspections.services import MAX_SAMPLE_SIZE, MAX_SEED, may_edit_findings
from procedures.api.serializers import DigitizedFileSerializer
from procedures.models import Dossier, Role, Unit, User


def _staff_field(**kwargs):
    kwargs.setdefault("queryset", User.objects.all())
    return serializers.SlugRelatedField(slug_field="username", **kwargs)


# --- inspections --------------------------------------------------------------------------------


class InspectionInput(serializers.Serializer):
    unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), help_text=_("Code of the inspected unit.")
    )
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    lead = _staff_field(
        queryset=User.objects.filter(role=Role.INSPECTOR),
        required=False,
        help_text=_("Username of the team lead; yourself when left out."),
    )
    members = _staff_field(
        queryset=User.objects.filter(role=Role.INSPECTOR),
        many=True,
        required=False,
        help_text=_("Usernames of the other inspectors of the team."),
    )
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text=_("Inclusive."))
    planned_start = serializers.DateField()
    planned_end = serializers.DateField()
    scope = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class InspectionChangeInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=InspectionKind.choices, required=False)
    lead = _staff_field(queryset=User.objects.filter(role=Role.INSPECTOR), required=False)
    members = _staff_field(
        queryset=User.objects.filter(role=Role.INSPECTOR), many=True, required=False
    )
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    planned_start = serializers.DateField(required=False)
    planned_end = serializers.DateField(required=False)
    scope = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class SampleInfoSerializer(serializers.Serializer):
    size = serializers.IntegerField(source="sample_size")
    seed = serializers.IntegerField(source="sample_seed")
    overdue_share = serializers.FloatField(source="sample_overdue_share", allow_null=True)
    sampled_at = serializers.DateTimeField()


class InspectionSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    lead = serializers.CharField(source="lead.username")
    members = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    sample = serializers.SerializerMethodField(
        help_text=_("How the sample was drawn (null before it is); the seed repeats it.")
    )
    transitions = serializers.SerializerMethodField(
        help_text=_("The transitions you may make on this inspection now.")
    )

    class Meta:
        model = Inspection
        fields = [
            "id",
            "unit",
            "unit_name",
            "kind",
            "state",
            "lead",
            "members",
            "period_start",
            "period_end",
            "planned_start",
            "planned_end",
            "started_at",
            "concluded_at",
            "closed_at",
            "scope",
            "conclusion",
            "sample",
            "transitions",
        ]

    @extend_schema_field(SampleInfoSerializer(allow_null=True))
    def get_sample(self, inspection) -> dict | None:
        if inspection.sampled_at is None:
            return None
        return SampleInfoSerializer(inspection).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_transitions(self, inspection) -> list[str]:
        return INSPECTION_MACHINE.allowed_actions(inspection, self.context["request"].user)


class InspectionListSerializer(InspectionSerializer):
    """The list leaves out the transitions, which need a query per inspection."""

    class Meta(InspectionSerializer.Meta):
        fields = [name for name in InspectionSerializer.Meta.fields if name != "transitions"]


class InspectionNoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ConcludeInput(InspectionNoteInput):
    conclusion = serializers.CharField(max_length=20000)


class InspectionLogSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    finding = serializers.IntegerField(source="finding_number", allow_null=True)
    source = serializers.CharField(source="source_state")
    target = serializers.CharField(source="target_state")

    class Meta:
        model = InspectionLog
        fields = ["action", "finding", "source", "target", "actor", "at", "note", "payload"]


# --- sample and checklist -----------------------------------------------------------------------


class SampleInput(serializers.Serializer):
    size = serializers.IntegerField(min_value=1, max_value=MAX_SAMPLE_SIZE)
    seed = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SEED,
        required=False,
        help_text=_("The same seed draws the same sample; one is chosen when left out."),
    )
    overdue_share = serializers.FloatField(
        min_value=0,
        max_value=1,
        required=False,
        help_text=_("Share of the sample drawn from the overdue dossiers first, 0 to 1."),
    )


class ChecklistItemSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="get_item_display")
    prefilled = serializers.BooleanField(
        allow_null=True, help_text=_("From the records; null when the check does not apply.")
    )
    confirmed = serializers.BooleanField(
        allow_null=True, help_text=_("As confirmed or corrected by the inspector.")
    )
    checked = serializers.BooleanField(source="is_checked")
    corrected = serializers.BooleanField()
    checked_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = ChecklistItem
        fields = [
            "item",
            "label",
            "prefilled",
            "confirmed",
            "checked",
            "corrected",
            "note",
            "checked_by",
            "checked_at",
        ]


class SampledDossierSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code")
    state = serializers.CharField(source="dossier.state")
    received_at = serializers.DateTimeField(source="dossier.received_at")
    due_at = serializers.DateTimeField(source="dossier.due_at", allow_null=True)
    completed_at = serializers.DateTimeField(source="dossier.completed_at", allow_null=True)
    checklist = ChecklistItemSerializer(many=True)

    class Meta:
        model = SampledDossier
        fields = [
            "position",
            "dossier",
            "state",
            "received_at",
            "due_at",
            "completed_at",
            "drawn_as_overdue",
            "checklist",
        ]


class ChecklistAnswer(serializers.Serializer):
    item = serializers.ChoiceField(choices=ChecklistItemKind.choices)
    value = serializers.BooleanField(
        allow_null=True, help_text=_("true: complied; false: breached; null: does not apply.")
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ChecklistInput(serializers.Serializer):
    items = ChecklistAnswer(many=True, allow_empty=False)


# --- findings -----------------------------------------------------------------------------------


class FindingInput(serializers.Serializer):
    staff = _staff_field(help_text=_("Username of the staff member responsible."))
    dossiers = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Dossier.objects.all(),
        many=True,
        required=False,
        help_text=_("Codes of the dossiers concerned."),
    )
    kind = serializers.ChoiceField(choices=BreachKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    description = serializers.CharField(max_length=20000)
    recommended_action = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20000
    )
    remedy_deadline = serializers.DateField(required=False, allow_null=True, default=None)


class FindingSerializer(serializers.ModelSerializer):
    inspection = serializers.IntegerField(source="inspection_id")
    unit = serializers.CharField(source="inspection.unit.code")
    staff = serializers.CharField(source="staff.username")
    staff_name = serializers.CharField(source="staff.get_full_name")
    dossiers = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    evidence = DigitizedFileSerializer(many=True)
    remedied_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    verified_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    editable = serializers.SerializerMethodField(
        help_text=_("False once the inspection is concluded: findings are then evidence.")
    )
    transitions = serializers.SerializerMethodField(
        help_text=_("The follow-up actions you may take now.")
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "inspection",
            "unit",
            "staff",
            "staff_name",
            "dossiers",
            "kind",
            "severity",
            "description",
            "recommended_action",
            "remedy_deadline",
            "evidence",
            "follow_up",
            "remedy_note",
            "remedied_at",
            "remedied_by",
            "verified_at",
            "verified_by",
            "created_by",
            "created_at",
            "editable",
            "transitions",
        ]

    def get_editable(self, finding) -> bool:
        return may_edit_findings(self.context["request"].user, finding.inspection)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_transitions(self, finding) -> list[str]:
        return FINDING_MACHINE.allowed_actions(finding, self.context["request"].user)


class EvidenceInput(serializers.Serializer):
    file = serializers.FileField(help_text=_("The evidence: PDF, JPEG or PNG."))


class FollowUpInput(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4000,
        help_text=_("Required to report a remedy or to reopen."),
    )

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.output import OutputSerializer
from procedures.models import (
    DOSSIER_MACHINE,
    LOG_LABELS,
    STEP_DUE_FIELDS,
    Channel,
    CompetentLevel,
    DigitizationStatus,
    DossierState,
    DossierTransition,
    OnlineLevel,
    Procedure,
    Unit,
    User,
)
from procedures.personal_data import applicant_data

STEP_NAMES = ("intake", "appraisal", "approval", "signing", "delivery")


# --- catalogue ------------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Unit
        fields = ["code", "name", "block", "parent", "active"]
        extra_kwargs = {"code": {"validators": []}}  # uniqueness is checked by the service

    def validate(self, attrs):
        code = attrs.get("code")
        instance = self.instance
        if (
            code
            and Unit.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists()
        ):
            raise serializers.ValidationError({"code": [_("A unit with this code exists.")]})
        return attrs


class StepSharesSerializer(serializers.Serializer):
    """The five `share_*` columns of a procedure as one object (used with source="*")."""

    intake = serializers.IntegerField(source="share_intake", min_value=0, max_value=100)
    appraisal = serializers.IntegerField(source="share_appraisal", min_value=0, max_value=100)
    approval = serializers.IntegerField(source="share_approval", min_value=0, max_value=100)
    signing = serializers.IntegerField(source="share_signing", min_value=0, max_value=100)
    delivery = serializers.IntegerField(source="share_delivery", min_value=0, max_value=100)

    def validate(self, attrs):
        if sum(attrs.values()) != 100:
            raise serializers.ValidationError(_("The five step shares must add up to 100%."))
        return attrs


class ComponentSpecSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=500)
    required = serializers.BooleanField(default=True)


class ProcedureSerializer(serializers.ModelSerializer):
    step_shares = StepSharesSerializer(
        source="*", help_text=_("Percent of the processing time per step.")
    )
    components = ComponentSpecSerializer(many=True, required=False)
    units = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), many=True, required=False
    )
    level = serializers.ChoiceField(choices=CompetentLevel.choices)
    online_level = serializers.ChoiceField(choices=OnlineLevel.choices)

    class Meta:
        model = Procedure
        fields = [
            "code",
            "name",
            "field",
            "level",
            "processing_days",
            "step_shares",
            "fee",
            "issues_result",
            "online_level",
            "components",
            "units",
            "active",
        ]
        extra_kwargs = {"code": {"validators": []}}

    def validate_code(self, code):
        instance = self.instance
        if Procedure.objects.filter(code=code).exclude(pk=getattr(instance, "pk", None)).exists():
            raise serializers.ValidationError(_("A procedure with this code exists."))
        return code

    @staticmethod
    def model_data(validated: dict) -> tuple[dict, list | None, list | None]:
        """Split validated input into model fields, components and units for the service."""
        data = dict(validated)
        components = data.pop("components", None)
        units = data.pop("units", None)
        return data, components, units


# --- dossiers -------------------------------------------------------------------------------


class ApplicantSerializer(serializers.Serializer):
    full_name = serializers.CharField(max_length=255)
    id_number = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ApplicantOutputSerializer(serializers.Serializer):
    """The applicant as shown: ID number, phone, email and address are masked (`*****234`) for
    whoever does not handle the dossier, so none of them is declared with a format."""

    full_name = serializers.CharField()
    id_number = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()


class DossierCreateSerializer(serializers.Serializer):
    procedure = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Procedure.objects.all(),
        error_messages={"does_not_exist": _("No procedure has the code {value}.")},
    )
    unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Unit.objects.all(),
        error_messages={"does_not_exist": _("No unit has the code {value}.")},
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    applicant = ApplicantSerializer()
    received_at = serializers.DateTimeField(
        required=False,
        help_text=_("Only administrators, when importing dossiers from an older system."),
    )


class DigitizedFileSerializer(OutputSerializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    original_name = serializers.CharField()


# The dossier outputs are plain serializers with every field declared: a ModelSerializer
# introspects the model on every instantiation, which costs milliseconds on the hot endpoints.


class DossierComponentSerializer(OutputSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    required = serializers.BooleanField(read_only=True)
    status = serializers.ChoiceField(choices=DigitizationStatus.choices, read_only=True)
    digitized = serializers.BooleanField(source="is_digitized", read_only=True)
    file = DigitizedFileSerializer(allow_null=True, read_only=True)
    reused_from = serializers.CharField(read_only=True)
    digitized_at = serializers.DateTimeField(allow_null=True, read_only=True)


class DossierListSerializer(OutputSerializer):
    code = serializers.CharField(read_only=True)
    procedure = serializers.CharField(source="procedure.code", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    channel = serializers.ChoiceField(choices=Channel.choices, read_only=True)
    state = serializers.ChoiceField(choices=DossierState.choices, read_only=True)
    step = serializers.IntegerField(
        allow_null=True, read_only=True, help_text=_("1-5, or null outside the steps.")
    )
    national_status = serializers.IntegerField(
        read_only=True, help_text=_("The national portal's status, 1-10.")
    )
    applicant_name = serializers.CharField(source="applicant_full_name", read_only=True)
    received_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(allow_null=True, read_only=True)
    completed_at = serializers.DateTimeField(allow_null=True, read_only=True)
    is_overdue = serializers.SerializerMethodField()
    supplement_count = serializers.IntegerField(read_only=True)
    handler = serializers.CharField(source="handler.username", allow_null=True, read_only=True)

    def get_is_overdue(self, dossier) -> bool:
        return dossier.is_overdue(now=self.context.get("now"))


class StepDueSerializer(serializers.Serializer):
    intake = serializers.DateTimeField(allow_null=True)
    appraisal = serializers.DateTimeField(allow_null=True)
    approval = serializers.DateTimeField(allow_null=True)
    signing = serializers.DateTimeField(allow_null=True)
    delivery = serializers.DateTimeField(allow_null=True)


class ResultSerializer(serializers.Serializer):
    file = DigitizedFileSerializer(allow_null=True)
    signed_at = serializers.DateTimeField(allow_null=True)
    signed_by = serializers.CharField(allow_null=True)


class DossierDetailSerializer(DossierListSerializer):
    applicant = serializers.SerializerMethodField()
    components = DossierComponentSerializer(many=True, read_only=True)
    accepted_at = serializers.DateTimeField(allow_null=True, read_only=True)
    step_due = serializers.SerializerMethodField()
    appointment_at = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text=_("The new appointment given in an apology letter; due_at stays as it was."),
    )
    overdue_since = serializers.DateTimeField(allow_null=True, read_only=True)
    overdue_step = serializers.CharField(read_only=True)
    due_soon_since = serializers.DateTimeField(allow_null=True, read_only=True)
    paused_at = serializers.DateTimeField(allow_null=True, read_only=True)
    working_days_left = serializers.IntegerField(allow_null=True, read_only=True)
    appraisal_opinion = serializers.CharField(read_only=True)
    decision_reason = serializers.CharField(read_only=True)
    result = serializers.SerializerMethodField()
    version = serializers.IntegerField(read_only=True)
    transitions = serializers.SerializerMethodField(
        help_text=_("The transitions you may make on this dossier now.")
    )

    @extend_schema_field(ApplicantOutputSerializer)
    def get_applicant(self, dossier) -> dict:
        unmasked = self.context.get("unmasked_unit_ids")
        return applicant_data(dossier, unmasked=unmasked is None or dossier.unit_id in unmasked)

    @extend_schema_field(StepDueSerializer)
    def get_step_due(self, dossier) -> dict:
        return {
            step: serializers.DateTimeField().to_representation(getattr(dossier, field))
            if getattr(dossier, field)
            else None
            for step, field in zip(STEP_NAMES, STEP_DUE_FIELDS, strict=True)
        }

    @extend_schema_field(ResultSerializer)
    def get_result(self, dossier) -> dict:
        stored = dossier.result_file
        return {
            "file": DigitizedFileSerializer(stored).data if stored else None,
            "signed_at": serializers.DateTimeField().to_representation(dossier.result_signed_at)
            if dossier.result_signed_at
            else None,
            "signed_by": dossier.result_signed_by.username if dossier.result_signed_by else None,
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_transitions(self, dossier) -> list[str]:
        return DOSSIER_MACHINE.allowed_actions(dossier, self.context["request"].user)


class TransitionLogSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source_state")
    target = serializers.CharField(source="target_state")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    label = serializers.SerializerMethodField(help_text="The action, in the request's language.")

    class Meta:
        model = DossierTransition
        fields = ["action", "label", "source", "target", "actor", "at", "note", "payload"]

    def get_label(self, entry) -> str:
        return str(LOG_LABELS.get(entry.action, entry.action))


# --- transition inputs ----------------------------------------------------------------------


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AssigneeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(
            slug_field="username",
            queryset=User.objects.filter(is_active=True),
            required=False,
            allow_null=True,
            help_text=_("Username of the person who takes the dossier next (optional)."),
            **kwargs,
        )


class HandOverInput(NoteInput):
    assignee = AssigneeField()


class ReasonInput(NoteInput):
    reason = serializers.CharField(max_length=4000)


class ReasonHandOverInput(ReasonInput):
    assignee = AssigneeField()


class OpinionInput(NoteInput):
    opinion = serializers.CharField(max_length=4000)
    assignee = AssigneeField()


class DigitizeInput(serializers.Serializer):
    file = serializers.FileField(
        required=False, help_text=_("The scan: PDF, JPEG or PNG (multipart upload).")
    )
    reused_from = serializers.CharField(
        required=False,
        max_length=255,
        help_text=_("Reference of the already digitized document to reuse, instead of a file."),
    )

    def validate(self, attrs):
        if ("file" in attrs) == bool(attrs.get("reused_from", "").strip()):
            raise serializers.ValidationError(
                {"file": [_("Send either a file or the reference of reused data, not both.")]}
            )
        return attrs


class ResultInput(serializers.Serializer):
    file = serializers.FileField(help_text=_("The result document: PDF, JPEG or PNG."))

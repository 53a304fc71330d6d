"""Admin screens for findings: written through the services while the inspection is in progress,
read-only once it is concluded (change and delete answer 403), followed up with buttons."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_transitions import TransitionButtonsMixin
from digitization.services import sniff_content_type
from inspections import selectors, services
from inspections.admin.common import (
    form_errors,
    is_staff,
    mark_formsets_saved,
    plans_inspections,
)
from inspections.models import FINDING_MACHINE, Finding, InspectionState
from procedures.errors import DossierError
from procedures.models import User
from procedures.scoping import readable_unit_ids

FINDING_FIELDS = [
    "inspection",
    "staff",
    "dossiers",
    "kind",
    "severity",
    "description",
    "recommended_action",
    "remedy_deadline",
]
FOLLOW_UP_FIELDS = [
    "follow_up",
    "evidence_files",
    "remedy_note",
    "remedied_at",
    "remedied_by",
    "verified_at",
    "verified_by",
    "created_by",
    "created_at",
]


class FindingForm(forms.ModelForm):
    new_evidence = forms.FileField(
        label=_("add an evidence file"), required=False, help_text=_("PDF, JPEG or PNG.")
    )

    class Meta:
        model = Finding
        fields = FINDING_FIELDS

    def clean_new_evidence(self):
        upload = self.cleaned_data.get("new_evidence")
        if upload is None:
            return None
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(_("File too large."))
        upload.seek(0)
        if sniff_content_type(upload.read(16)) is None:
            raise forms.ValidationError(_("Only PDF, JPEG and PNG files are accepted."))
        upload.seek(0)
        return upload

    def clean(self):
        data = super().clean()
        inspection = data.get("inspection") or (
            self.instance.inspection if self.instance.inspection_id else None
        )
        staff = data.get("staff") or (self.instance.staff if self.instance.staff_id else None)
        if inspection and staff:
            try:
                services.check_finding(
                    inspection=inspection, staff=staff, dossiers=data.get("dossiers") or []
                )
            except DossierError as error:
                form_errors(self, error)
        return data


def _editable(user, finding) -> bool:
    return services.may_edit_findings(user, finding.inspection)


@admin.register(Finding)
class FindingAdmin(TransitionButtonsMixin, admin.ModelAdmin):
    form = FindingForm
    transition_machine = FINDING_MACHINE
    transition_url_name = "inspections_finding_follow_up"
    transition_context = "follow_up_transitions"
    transition_path = "follow-up"
    list_display = [
        "id",
        "inspection",
        "staff",
        "kind",
        "severity",
        "follow_up",
        "remedy_deadline",
        "created_at",
    ]
    list_filter = ["kind", "severity", "follow_up"]
    search_fields = ["staff__username", "staff__last_name", "description", "inspection__unit__code"]
    list_select_related = ["inspection__unit", "staff"]
    autocomplete_fields = ["dossiers"]
    actions = None  # no bulk delete: a finding is deleted through the services, one by one
    change_form_template = "admin/inspections/finding/change_form.html"

    def get_queryset(self, request):
        return selectors.findings_visible_to(request.user).select_related(
            "inspection__unit", "inspection__lead", "staff"
        )

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*FINDING_FIELDS, "new_evidence"]
        if _editable(request.user, obj):
            return [*FINDING_FIELDS, "new_evidence", *FOLLOW_UP_FIELDS]
        return [*FINDING_FIELDS, *FOLLOW_UP_FIELDS]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if _editable(request.user, obj):
            return ["inspection", *FOLLOW_UP_FIELDS]
        return [*FINDING_FIELDS, *FOLLOW_UP_FIELDS]

    @admin.display(description=_("evidence files"))
    def evidence_files(self, finding):
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                (
                    (reverse("digitized-file", args=[stored.pk]), str(stored))
                    for stored in finding.evidence.all()
                ),
            )
            or "-"
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.name == "inspection":
            open_to_me = selectors.inspections_visible_to(user).filter(
                state=InspectionState.IN_PROGRESS
            )
            if not user.is_admin:
                open_to_me = open_to_me.filter(Q(lead=user) | Q(members=user)).distinct()
            kwargs["queryset"] = open_to_me.select_related("unit")
        if db_field.name == "staff":
            staff = User.objects.filter(is_active=True).exclude(role__in=["inspector", "admin"])
            units = readable_unit_ids(user)
            kwargs["queryset"] = staff if units is None else staff.filter(unit_id__in=units)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return is_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_staff(request)

    def has_add_permission(self, request):
        return plans_inspections(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return plans_inspections(request.user)
        return _editable(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return obj is not None and _editable(request.user, obj)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changed = {
                name: data[name] for name in services.FINDING_FIELDS if name in form.changed_data
            }
            dossiers = list(data["dossiers"]) if "dossiers" in form.changed_data else None
            saved = services.update_finding(
                finding=obj, actor=request.user, data=changed, dossiers=dossiers
            )
        else:
            saved = services.record_finding(
                actor=request.user,
                dossiers=list(data["dossiers"]),
                **{name: data[name] for name in FINDING_FIELDS if name != "dossiers"},
            )
        if data.get("new_evidence"):
            services.add_evidence(finding=saved, actor=request.user, upload=data["new_evidence"])
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        """The dossiers and evidence were saved by the services."""
        mark_formsets_saved(formsets)

    def delete_model(self, request, obj):
        services.delete_finding(finding=obj, actor=request.user)

    # --- follow-up buttons -----------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        finding = self.get_queryset(request).filter(pk=object_id).first()
        if finding is not None:
            extra_context["findings_are_evidence"] = finding.inspection.findings_are_evidence
        return super().change_view(request, object_id, form_url, extra_context)

    def perform_transition(self, request, finding, action, note, arguments):
        services.perform_follow_up(finding=finding, actor=request.user, action=action, note=note)

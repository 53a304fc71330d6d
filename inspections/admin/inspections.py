"""Admin screens for inspections, their samples and checklists, and the accountability report.

Every change goes through inspections.services: forms validate with the services' checks and
save by calling them; state changes and sampling are buttons.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.admin_transitions import TransitionButtonsMixin
from inspections import accountability, selectors, services
from inspections.admin.common import (
    ReadOnlyInline,
    form_errors,
    is_staff,
    mark_formsets_saved,
    plans_inspections,
    report_error,
)
from inspections.models import (
    INSPECTION_MACHINE,
    ChecklistItem,
    Finding,
    Inspection,
    InspectionLog,
    InspectionState,
    SampledDossier,
)
from inspections.models.inspections import led_by_lead
from inspections.models.log import LOG_STATE_LABELS
from procedures import authorization
from procedures.admin_log import staff_name
from procedures.errors import DossierError
from procedures.models import Role, User
from procedures.selectors import units_visible_to

SAMPLING_STATES = (InspectionState.PLANNED, InspectionState.IN_PROGRESS)

# --- inspections --------------------------------------------------------------------------------


class InspectionForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = [
            "unit",
            "kind",
            "lead",
            "members",
            "period_start",
            "period_end",
            "planned_start",
            "planned_end",
            "scope",
        ]

    def clean(self):
        data = super().clean()
        unit = data.get("unit") or (self.instance.unit if self.instance.unit_id else None)
        if unit and data.get("lead"):
            try:
                services.check_team(unit=unit, lead=data["lead"], members=data.get("members", []))
            except DossierError as error:
                form_errors(self, error)
        return data


class SampleInline(ReadOnlyInline):
    model = SampledDossier
    fields = ["position", "dossier", "drawn_as_overdue", "checked"]
    show_change_link = True
    verbose_name_plural = _("sample (open a dossier to check its checklist)")

    @admin.display(description=_("items checked"))
    def checked(self, sampled):
        items = sampled.checklist.all()
        return f"{sum(1 for i in items if i.is_checked)}/{len(items)}"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dossier").prefetch_related("checklist")


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = ["staff", "kind", "severity", "follow_up", "remedy_deadline"]
    show_change_link = True


class InspectionLogInline(ReadOnlyInline):
    model = InspectionLog
    fields = [
        "at",
        "action_label",
        "finding_number",
        "source_label",
        "target_label",
        "actor_name",
        "note",
    ]
    ordering = ["at", "id"]

    @admin.display(description=_("action"))
    def action_label(self, entry):
        return entry.action_label

    @admin.display(description=_("from state"))
    def source_label(self, entry):
        return LOG_STATE_LABELS.get(entry.source_state, entry.source_state) or "—"

    @admin.display(description=_("to state"))
    def target_label(self, entry):
        return LOG_STATE_LABELS.get(entry.target_state, entry.target_state) or "—"

    @admin.display(description=_("staff member"))
    def actor_name(self, entry):
        return staff_name(entry.actor)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Inspection)
class InspectionAdmin(TransitionButtonsMixin, admin.ModelAdmin):
    form = InspectionForm
    transition_machine = INSPECTION_MACHINE
    transition_url_name = "inspections_inspection_transition"
    transition_context = "inspection_transitions"
    list_display = ["id", "unit", "kind", "state", "lead", "period_start", "period_end"]
    list_filter = ["state", "kind", "unit__block"]
    search_fields = ["unit__code", "unit__name", "scope"]
    list_select_related = ["unit", "lead"]
    filter_horizontal = ["members"]
    inlines = [SampleInline, FindingInline, InspectionLogInline]
    change_form_template = "admin/inspections/inspection/change_form.html"
    change_list_template = "admin/inspections/inspection/change_list.html"
    state_fields = [
        "state",
        "started_at",
        "concluded_at",
        "closed_at",
        "conclusion",
        "sample_size",
        "sample_seed",
        "sample_overdue_share",
        "sampled_at",
    ]

    def get_queryset(self, request):
        return selectors.inspections_visible_to(request.user).select_related("unit", "lead")

    def get_fields(self, request, obj=None):
        return [*InspectionForm.Meta.fields, *(self.state_fields if obj else [])]

    def get_readonly_fields(self, request, obj=None):
        return ["unit", *self.state_fields] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = units_visible_to(request.user)
        if db_field.name == "lead":
            kwargs["queryset"] = User.objects.filter(role=Role.INSPECTOR, is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            kwargs["queryset"] = User.objects.filter(role=Role.INSPECTOR, is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_module_permission(self, request):
        return is_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_staff(request)

    def has_add_permission(self, request):
        return plans_inspections(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return plans_inspections(request.user)
        return obj.state == InspectionState.PLANNED and led_by_lead(obj, request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {
            name: form.cleaned_data[name]
            for name in InspectionForm.Meta.fields
            if name in form.cleaned_data
        }
        members = list(data.pop("members", []))
        if change:
            data.pop("unit", None)
            saved = services.update_inspection(
                inspection=obj, actor=request.user, data=data, members=members
            )
        else:
            saved = services.create_inspection(actor=request.user, members=members, **data)
        obj.pk = saved.pk

    def save_related(self, request, form, formsets, change):
        """The team was saved by the service; the inlines are read-only."""
        mark_formsets_saved(formsets)

    # --- buttons ---------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/sample/",
                view(require_POST(self.sample_view)),
                name="inspections_inspection_sample",
            ),
            path(
                "accountability/",
                view(self.accountability_view),
                name="inspections_accountability",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        inspection = self.get_queryset(request).filter(pk=object_id).first()
        may_sample = inspection is not None and services.is_on_team(request.user, inspection)
        if may_sample and inspection.state in SAMPLING_STATES:
            extra_context["sample_url"] = reverse(
                "admin:inspections_inspection_sample", args=[inspection.pk]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def perform_transition(self, request, inspection, action, note, arguments):
        services.perform_inspection_transition(
            inspection=inspection, actor=request.user, action=action, note=note, **arguments
        )

    def sample_view(self, request, object_id):
        inspection = get_object_or_404(self.get_queryset(request), pk=object_id)
        form = SampleForm(request.POST)
        if not form.is_valid():
            messages.error(
                request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
            )
            return redirect("admin:inspections_inspection_change", inspection.pk)
        try:
            drawn = services.draw_sample(
                inspection=inspection,
                actor=request.user,
                size=form.cleaned_data["size"],
                seed=form.cleaned_data["seed"],
                overdue_share=form.cleaned_data["overdue_share"],
            )
        except DossierError as error:
            report_error(request, error)
        else:
            messages.success(request, _("%(count)d dossiers drawn.") % {"count": len(drawn)})
        return redirect("admin:inspections_inspection_change", inspection.pk)

    def accountability_view(self, request):
        if not authorization.may_act(request.user, roles={Role.INSPECTOR, Role.LEADER}):
            raise PermissionDenied
        form = PeriodForm(request.GET or None, user=request.user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Accountability"),
            "form": form,
        }
        if form.is_valid():
            period = form.period()
            scope = selectors.accountability_scope(request.user, **period)
            now = timezone.now()
            context["staff_rows"] = accountability.staff_report(scope=scope, now=now)
            context["unit_rows"] = accountability.unit_report(scope=scope, now=now)
            context["steps"] = accountability.STEPS
        return TemplateResponse(request, "admin/inspections/accountability.html", context)


class SampleForm(forms.Form):
    size = forms.IntegerField(min_value=1, max_value=services.MAX_SAMPLE_SIZE)
    seed = forms.IntegerField(min_value=0, max_value=services.MAX_SEED, required=False)
    overdue_share = forms.FloatField(min_value=0, max_value=1, required=False)


class PeriodForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=None, required=False, label=_("unit"))
    first_day = forms.DateField(label=_("from"), required=False)
    last_day = forms.DateField(label=_("to (inclusive)"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_visible_to(user)

    def period(self) -> dict:
        last_day = self.cleaned_data["last_day"] or timezone.localdate()
        first_day = self.cleaned_data["first_day"] or last_day - timedelta(days=30)
        return {"unit": self.cleaned_data["unit"], "first_day": first_day, "last_day": last_day}


# --- sample and checklist -------------------------------------------------------------------


class ChecklistItemForm(forms.ModelForm):
    check = forms.BooleanField(
        label=_("confirm"),
        required=False,
        help_text=_("Tick to confirm the value shown; changing it records the correction."),
    )

    class Meta:
        model = ChecklistItem
        fields = ["confirmed", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        item = self.instance
        if item.pk and not item.is_checked:
            self.initial["confirmed"] = item.prefilled


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    form = ChecklistItemForm
    extra = 0
    can_delete = False
    fields = ["item", "prefilled", "confirmed", "check", "note", "checked_by", "checked_at"]
    readonly_fields = ["item", "prefilled", "checked_by", "checked_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return is_staff(request)

    def has_change_permission(self, request, obj=None):
        return obj is not None and _may_check(request.user, obj.inspection)


def _may_check(user, inspection) -> bool:
    return inspection.state == InspectionState.IN_PROGRESS and services.is_on_team(user, inspection)


@admin.register(SampledDossier)
class SampledDossierAdmin(admin.ModelAdmin):
    """A sampled dossier and its checklist; confirming an item goes through the services."""

    list_display = ["inspection", "position", "dossier", "drawn_as_overdue"]
    list_select_related = ["inspection__unit", "dossier"]
    fields = ["inspection", "position", "dossier", "drawn_as_overdue"]
    readonly_fields = fields
    inlines = [ChecklistItemInline]

    def get_queryset(self, request):
        return selectors.samples_visible_to(request.user).select_related(
            "inspection__unit", "dossier"
        )

    def has_module_permission(self, request):
        return is_staff(request)

    def has_view_permission(self, request, obj=None):
        return is_staff(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is not None and _may_check(request.user, obj.inspection)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing of the sampled dossier itself changes here."""

    def save_formset(self, request, form, formset, change):
        answers = [
            {
                "item": item_form.instance.item,
                "value": item_form.cleaned_data["confirmed"],
                "note": item_form.cleaned_data["note"],
            }
            for item_form in formset.forms
            if item_form.has_changed()
        ]
        if answers:
            services.check_items(sampled=form.instance, actor=request.user, answers=answers)
        mark_formsets_saved([formset])

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin_transitions import TransitionButtonsMixin
from procedures import services
from procedures.models import (
    DOSSIER_MACHINE,
    ApologyLetter,
    CalendarDay,
    Dossier,
    DossierComponent,
    DossierTransition,
    Notice,
    Procedure,
    ProcedureComponent,
    Unit,
    User,
)
from procedures.selectors import dossiers_visible_to

admin.site.site_header = _("motcua: one-stop administrative procedures")
admin.site.site_title = _("motcua")
admin.site.index_title = _("Administration")


class AdministratorOnlyMixin:
    """Catalogues and calendars: everyone on staff reads them, administrators edit them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request, *args):
        return request.user.is_admin

    def has_change_permission(self, request, obj=None):
        return request.user.is_admin

    def has_delete_permission(self, request, obj=None):
        return request.user.is_admin


@admin.register(Unit)
class UnitAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "block", "parent", "active"]
    list_filter = ["block", "active"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


class ProcedureComponentInline(admin.TabularInline):
    model = ProcedureComponent
    extra = 0

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request, obj=None):
        return request.user.is_admin

    has_change_permission = has_delete_permission = has_add_permission


@admin.register(Procedure)
class ProcedureAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = ["code", "name", "field", "level", "processing_days", "online_level", "active"]
    list_filter = ["level", "online_level", "issues_result", "active", "field"]
    search_fields = ["code", "name", "field"]
    filter_horizontal = ["units"]
    inlines = [ProcedureComponentInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "field", "level", "active"]}),
        (
            _("Processing time"),
            {
                "fields": [
                    "processing_days",
                    ("share_intake", "share_appraisal", "share_approval"),
                    ("share_signing", "share_delivery"),
                ]
            },
        ),
        (_("Service"), {"fields": ["fee", "issues_result", "online_level", "units"]}),
    ]


@admin.register(CalendarDay)
class CalendarDayAdmin(AdministratorOnlyMixin, admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active", "unit__block"]
    search_fields = ["username", "first_name", "last_name", "email", "unit__code"]
    autocomplete_fields = ["unit"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("Role and unit"), {"fields": ["role", "unit", "covers_child_units"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        (_("Role and unit"), {"fields": ["role", "unit", "covers_child_units"]}),
    ]


class DossierComponentInline(admin.TabularInline):
    model = DossierComponent
    extra = 0
    fields = ["name", "required", "status", "file", "reused_from", "digitized_at", "digitized_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class DossierTransitionInline(admin.TabularInline):
    model = DossierTransition
    extra = 0
    fields = ["at", "action", "source_state", "target_state", "actor", "note", "payload"]
    readonly_fields = fields
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


@admin.register(Dossier)
class DossierAdmin(TransitionButtonsMixin, admin.ModelAdmin):
    """Dossiers are read here; every change goes through the transition buttons (the services)."""

    transition_machine = DOSSIER_MACHINE
    transition_url_name = "procedures_dossier_transition"
    transition_context = "dossier_transitions"

    list_display = ["code", "procedure", "unit", "channel", "state", "received_at", "due_at"]
    list_filter = ["state", "channel", "unit__block"]
    search_fields = ["code", "applicant_full_name"]
    list_select_related = ["procedure", "unit"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [DossierComponentInline, DossierTransitionInline]
    change_form_template = "admin/procedures/dossier/change_form.html"

    def get_queryset(self, request):
        return dossiers_visible_to(request.user).select_related("procedure", "unit", "handler")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Dossier._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def perform_transition(self, request, dossier, action, note, arguments):
        services.perform_transition(
            dossier=dossier, actor=request.user, action=action, note=note, **arguments
        )


class ReadOnlyRecordAdmin(admin.ModelAdmin):
    """Records written by the services: staff read them here, nobody edits them."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(dossier__in=dossiers_visible_to(request.user))


@admin.register(DossierTransition)
class DossierTransitionAdmin(ReadOnlyRecordAdmin):
    """The transition log is append-only: read, never edited."""

    list_display = ["dossier", "action", "source_state", "target_state", "actor", "at"]
    list_filter = ["action", "target_state"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier", "actor"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in DossierTransition._meta.fields]


@admin.register(ApologyLetter)
class ApologyLetterAdmin(ReadOnlyRecordAdmin):
    list_display = ["dossier", "new_appointment_date", "issued_by", "issued_at"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier", "issued_by"]
    date_hierarchy = "issued_at"


@admin.register(Notice)
class NoticeAdmin(ReadOnlyRecordAdmin):
    """The outbox: what was sent, what is pending or failed and why."""

    list_display = ["created_at", "kind", "recipient", "dossier", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["dossier__code", "recipient"]
    list_select_related = ["dossier"]
    show_full_result_count = False

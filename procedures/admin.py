from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin_transitions import TransitionButtonsMixin
from procedures.admin_log import ActionFilter, ReadableLogMixin, file_link
from procedures.admin_permissions import TranslatedPermissionsMixin
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
    Role,
    Unit,
    User,
)
from procedures.personal_data import (
    MASKED_APPLICANT_FIELDS,
    mask,
    shown,
    with_personal_data_visible,
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
class StaffAdmin(TranslatedPermissionsMixin, UserAdmin):
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
    fields = ["name", "required", "status", "scan", "reused_from", "digitized_at", "digitized_by"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("digitized file"))
    def scan(self, component):
        return file_link(component.file)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("file", "digitized_by")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class DossierTransitionInline(ReadableLogMixin, admin.TabularInline):
    model = DossierTransition
    extra = 0
    fields = ["at", "action_label", "source_label", "target_label", "actor_name", "note", "details"]
    readonly_fields = fields
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


def _masked_field(name: str):
    """A read-only admin field showing Dossier.<name> as the API does (masked unless allowed)."""

    @admin.display(description=Dossier._meta.get_field(name).verbose_name)
    def display(self, dossier):
        return shown(dossier, getattr(dossier, name))

    return display


MASKED_DOSSIER_FIELDS = {
    f"applicant_{name}": f"applicant_{name}_shown" for name in MASKED_APPLICANT_FIELDS
}


@admin.register(Dossier)
class DossierAdmin(TransitionButtonsMixin, admin.ModelAdmin):
    """Dossiers are read here; every change goes through the transition buttons (the services)."""

    transition_machine = DOSSIER_MACHINE
    transition_url_name = "procedures_dossier_transition"
    transition_context = "dossier_transitions"
    role_choices = Role.choices

    list_display = ["code", "procedure", "unit", "channel", "state", "received_at", "due_at"]
    list_filter = ["state", "channel", "unit__block"]
    search_fields = ["code", "applicant_full_name"]
    list_select_related = ["procedure", "unit"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [DossierComponentInline, DossierTransitionInline]
    change_form_template = "admin/procedures/dossier/change_form.html"

    exclude = list(MASKED_DOSSIER_FIELDS)  # shown by the *_shown fields instead
    applicant_id_number_shown = _masked_field("applicant_id_number")
    applicant_phone_shown = _masked_field("applicant_phone")
    applicant_email_shown = _masked_field("applicant_email")
    applicant_address_shown = _masked_field("applicant_address")

    def get_queryset(self, request):
        dossiers = dossiers_visible_to(request.user).select_related("procedure", "unit", "handler")
        return with_personal_data_visible(dossiers, request.user, unit_field="unit_id")

    def get_readonly_fields(self, request, obj=None):
        # Applicants' personal data through the API's masking rule (procedures.personal_data);
        # the result document only through the scope-checking file view.
        names = [MASKED_DOSSIER_FIELDS.get(f.name, f.name) for f in Dossier._meta.fields]
        return ["result_document" if name == "result_file" else name for name in names]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("result document"))
    def result_document(self, dossier):
        return file_link(dossier.result_file)

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
        from documents.services import perform_action  # `sign` signs the result if required

        perform_action(dossier=dossier, actor=request.user, action=action, note=note, **arguments)


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
class DossierTransitionAdmin(ReadableLogMixin, ReadOnlyRecordAdmin):
    """The transition log is append-only: read, never edited."""

    list_display = ["dossier", "action_label", "source_label", "target_label", "actor_name", "at"]
    list_filter = [ActionFilter, "target_state"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier", "actor"]
    show_full_result_count = False
    fields = [
        "dossier",
        "at",
        "action_label",
        "source_label",
        "target_label",
        "actor_name",
        "note",
        "details",
    ]
    readonly_fields = fields


@admin.register(ApologyLetter)
class ApologyLetterAdmin(ReadOnlyRecordAdmin):
    list_display = ["dossier", "new_appointment_date", "issued_by", "issued_at"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier", "issued_by"]
    date_hierarchy = "issued_at"


@admin.register(Notice)
class NoticeAdmin(ReadOnlyRecordAdmin):
    """The outbox: what was sent, what is pending or failed and why."""

    list_display = [
        "created_at",
        "kind",
        "recipient_shown",
        "dossier",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "kind"]
    # Not by recipient: searching would tell who may not see them whether an email is there.
    search_fields = ["dossier__code"]
    exclude = ["recipient", "last_error"]  # shown by the *_shown fields instead
    list_select_related = ["dossier"]
    show_full_result_count = False

    def get_queryset(self, request):
        notices = super().get_queryset(request)
        return with_personal_data_visible(notices, request.user, unit_field="dossier__unit_id")

    def get_readonly_fields(self, request, obj=None):
        shown_fields = {"recipient": "recipient_shown", "last_error": "last_error_shown"}
        return [shown_fields.get(field.name, field.name) for field in Notice._meta.fields]

    @admin.display(description=Notice._meta.get_field("recipient").verbose_name)
    def recipient_shown(self, notice):
        return shown(notice, notice.recipient)

    @admin.display(description=Notice._meta.get_field("last_error").verbose_name)
    def last_error_shown(self, notice):
        if getattr(notice, "personal_data_visible", False) or not notice.recipient:
            return notice.last_error
        return notice.last_error.replace(notice.recipient, mask(notice.recipient))

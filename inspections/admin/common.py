"""What the inspection admin screens share."""

from django.contrib import admin

from core.admin_transitions import report_error  # noqa: F401  (used by the inspection admins)
from procedures import authorization
from procedures.errors import DossierError
from procedures.models import Role


def is_staff(request) -> bool:
    return request.user.is_active and request.user.is_staff


def plans_inspections(user) -> bool:
    return authorization.may_act(user, roles={Role.INSPECTOR})


def form_errors(form, error: DossierError) -> None:
    """A service's InvalidInput as form errors; anything else as a form-wide error."""
    if not error.fields:
        form.add_error(None, str(error.message))
    for field, msgs in error.fields.items():
        form.add_error(field if field in form.fields else None, [str(m) for m in msgs])


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return is_staff(request)


def mark_formsets_saved(formsets) -> None:
    """For the change message, after the services saved what the formsets hold."""
    for formset in formsets:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

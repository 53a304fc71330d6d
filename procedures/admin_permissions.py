"""Permissions listed in Vietnamese in the admin's user and group forms.

Django stores a permission's name in English when it migrates (`Can add dossier`); the forms list
them from the models' translated names instead.
"""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

PERMISSION_FIELDS = {"permissions", "user_permissions"}


def permission_label(permission) -> str:
    model = permission.content_type.model_class()
    action = permission.codename.split("_", 1)[0]
    if model is None or permission.codename != f"{action}_{model._meta.model_name}":
        return str(permission)
    phrases = {
        "add": _("Can add %(model)s"),
        "change": _("Can change %(model)s"),
        "delete": _("Can delete %(model)s"),
        "view": _("Can view %(model)s"),
    }
    if action not in phrases:
        return str(permission)
    name = model._meta.verbose_name
    return f"{model._meta.app_config.verbose_name} | {name} | {phrases[action] % {'model': name}}"


class TranslatedPermissionsMixin:
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in PERMISSION_FIELDS and field is not None:
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class TranslatedGroupAdmin(TranslatedPermissionsMixin, GroupAdmin):
    pass

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import LoginLock
from accounts.services import unlock


@admin.register(LoginLock)
class LoginLockAdmin(admin.ModelAdmin):
    """Accounts with failed sign-ins; administrators unlock them here."""

    list_display = ["user", "failures", "last_failure_at", "locked_until"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "failures", "last_failure_at", "locked_until"]
    actions = ["unlock_accounts"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_admin

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock_accounts(self, request, queryset):
        locks = list(queryset.select_related("user"))
        for lock in locks:
            unlock(user=lock.user)
        self.message_user(
            request,
            ngettext("%(count)d account unlocked.", "%(count)d accounts unlocked.", len(locks))
            % {"count": len(locks)},
            messages.SUCCESS,
        )

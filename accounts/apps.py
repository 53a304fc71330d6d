from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Sign-in")

    def ready(self):
        from django.contrib import admin

        from accounts import checks, signals  # noqa: F401  (registered on import)
        from accounts.forms import GuardedAdminAuthenticationForm

        admin.site.login_form = GuardedAdminAuthenticationForm

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from accounts.services import LoginRefused, sign_in


class GuardedAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in form with the same lock-outs as the API token (accounts.services)."""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = sign_in(self.request, username=username, password=password)
            except LoginRefused as refused:
                raise ValidationError(refused.message, code="login_locked") from None
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

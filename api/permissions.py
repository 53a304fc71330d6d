from rest_framework.permissions import SAFE_METHODS, BasePermission

from procedures.models import Role


class IsAdministratorOrReadOnly(BasePermission):
    """Any member of staff reads; administrators write."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.is_admin


def roles_allowed(*roles):
    """A permission class letting in the given roles (administrators always)."""

    class HasRole(BasePermission):
        def has_permission(self, request, view):
            user = request.user
            return bool(
                user
                and user.is_authenticated
                and user.is_active
                and (user.is_admin or user.effective_role in roles)
            )

    HasRole.__name__ = "HasRole_" + "_".join(str(r) for r in roles)
    return HasRole


OVERSIGHT = roles_allowed(Role.LEADER, Role.INSPECTOR)

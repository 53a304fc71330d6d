"""API permission classes that ask procedures.authorization."""

from rest_framework.permissions import BasePermission

from procedures import authorization
from procedures.models import Role


def roles_allowed(*roles):
    """A permission class letting in the given roles (administrators always)."""

    class HasRole(BasePermission):
        def has_permission(self, request, view):
            user = request.user
            return bool(
                user and user.is_authenticated and authorization.may_act(user, roles=roles)
            )

    HasRole.__name__ = "HasRole_" + "_".join(str(r) for r in roles)
    return HasRole


OVERSIGHT = roles_allowed(Role.LEADER, Role.INSPECTOR)

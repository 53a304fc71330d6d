"""Who may act: the one answer to "may this user act with one of these roles, in this unit,
as one of these people". Every role or unit decision (transition permissions, services, the API
and the admin) asks it here.

- An inactive user may do nothing; an administrator (or superuser) may do everything.
- `roles`: the user's role must be one of them (None: any role).
- `unit`: the unit must be one the user works in (clerks, specialists and approvers: their own
  unit, and its children when configured) or oversees (inspectors and leaders: their unit and
  every unit below it).
- `among`: the user must be one of these people (a team, the staff member named).
"""

from collections.abc import Collection

from django.utils.translation import gettext_lazy as _

from core.errors import ActionForbidden
from procedures.scoping import readable_unit_ids

ROLE_REFUSED = _("Your role may not do this.")
UNIT_REFUSED = _("You may not act on dossiers of this unit.")
PERSON_REFUSED = _("You are not allowed to do this.")


def refusal(
    user,
    *,
    roles: Collection[str] | None,
    unit: int | None = None,
    among: Collection[int] | None = None,
    role_message=ROLE_REFUSED,
    unit_message=UNIT_REFUSED,
    among_message=PERSON_REFUSED,
    admin_passes: bool = True,
):
    """Why `user` may not act (a message), or None when they may.

    `admin_passes=False` holds administrators to `roles` like anyone (e.g. whom a dossier may be
    handed to)."""
    if not user.is_active:
        return role_message
    if user.is_admin and admin_passes:
        return None
    if roles is not None and user.effective_role not in roles:
        return role_message
    if unit is not None:
        units = readable_unit_ids(user)
        if units is not None and unit not in units:
            return unit_message
    if among is not None and user.pk not in among:
        return among_message
    return None


def may_act(user, *, roles=None, unit=None, among=None, admin_passes=True) -> bool:
    return refusal(user, roles=roles, unit=unit, among=among, admin_passes=admin_passes) is None


def require(user, **rule) -> None:
    """Raise ActionForbidden with the reason when `user` may not act (arguments of `refusal`)."""
    message = refusal(user, **rule)
    if message is not None:
        raise ActionForbidden(message)

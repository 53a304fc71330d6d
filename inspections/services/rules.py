"""Who may act on inspections, and the helpers every inspection service shares."""

from django.utils.translation import gettext_lazy as _

from inspections.models import (
    Inspection,
    InspectionLog,
)
from procedures.errors import ActionForbidden
from procedures.models import Role, User
from procedures.scoping import readable_unit_ids


def may_inspect(user: User, unit_id: int) -> bool:
    """An administrator, or an active inspector whose authority covers the unit."""
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    units = readable_unit_ids(user)
    return user.effective_role == Role.INSPECTOR and units is not None and unit_id in units


def is_on_team(user: User, inspection: Inspection) -> bool:
    if not user.is_active:
        return False
    return user.is_admin or (
        user.effective_role == Role.INSPECTOR and user.pk in inspection.team_ids()
    )


def require_team(actor: User, inspection: Inspection) -> None:
    if not is_on_team(actor, inspection):
        raise ActionForbidden(_("Only the inspection team may do this."))


def append_log(
    inspection, *, action, actor, at, finding=None, source="", target="", note="", **payload
):
    InspectionLog.objects.create(
        inspection=inspection,
        finding_number=finding.pk if finding is not None else None,
        action=action,
        source_state=source,
        target_state=target,
        actor=actor,
        at=at,
        note=note,
        payload=payload,
    )


def locked(inspection: Inspection) -> Inspection:
    return Inspection.objects.select_for_update().get(pk=inspection.pk)

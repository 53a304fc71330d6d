"""Who may act on inspections, and the helpers every inspection service shares."""

from django.utils.translation import gettext_lazy as _

from inspections.errors import FindingsAreEvidence, NotInProgress
from inspections.models import INSPECTION_MACHINE, Inspection, InspectionLog, InspectionState
from procedures import authorization
from procedures.errors import ActionForbidden
from procedures.models import Role, User


def may_inspect(user: User, unit_id: int) -> bool:
    """An administrator, or an active inspector whose authority covers the unit."""
    return authorization.may_act(user, roles={Role.INSPECTOR}, unit=unit_id)


def is_on_team(user: User, inspection: Inspection) -> bool:
    return authorization.may_act(user, roles={Role.INSPECTOR}, among=inspection.team_ids())


def require_team(actor: User, inspection: Inspection) -> None:
    if not is_on_team(actor, inspection):
        raise ActionForbidden(_("Only the inspection team may do this."))


def findings_refusal(user: User, inspection: Inspection):
    """Why `user` may not record, change or delete findings of `inspection` now (an error), or
    None: findings are written by the team while the inspection is in progress, never after."""
    if not is_on_team(user, inspection):
        return ActionForbidden(_("Only the inspection team may do this."))
    if inspection.findings_are_evidence:
        return FindingsAreEvidence()
    if inspection.state != InspectionState.IN_PROGRESS:
        return NotInProgress(_("Findings are recorded while the inspection is in progress."))
    return None


def may_edit_findings(user: User, inspection: Inspection) -> bool:
    return findings_refusal(user, inspection) is None


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
    return INSPECTION_MACHINE.lock(inspection)

"""What a user may do on a dossier now, and why not: the one place the desk's buttons come from.

Read from the dossier registry (procedures.models.transitions.DOSSIER_MACHINE): which actions
the state allows, whether the user may take each now and why not (core.transitions), the text
each asks for and whom it may be handed to. This module only words it for the desk.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import ActionForbidden, ConditionNotMet, TransitionNotAllowed
from procedures.models import (
    DOSSIER_MACHINE,
    PROCESSING_ROLES,
    DigitizationStatus,
    DossierState,
    Role,
    User,
)
from procedures.scoping import may_process_in
from procedures.services.apologies import apology_possible

S = DossierState

# Actions that end a dossier or turn it back: shown as secondary (outlined) buttons.
SECONDARY = frozenset({"refuse", "send_back", "request_supplement", "reject", "withdraw"})
TEXT_LABELS = {"reason": _("Reason"), "opinion": _("Appraisal opinion")}
# Who the dossier waits for, by state, when the user has nothing to do on it.
WAITING_FOR = {
    S.SUBMITTED: Role.CLERK,
    S.INTAKE: Role.CLERK,
    S.APPRAISAL: Role.SPECIALIST,
    S.APPROVAL: Role.APPROVER,
    S.SIGNING: Role.APPROVER,
    S.DELIVERY: Role.CLERK,
    S.SUPPLEMENT: Role.CLERK,
}


@dataclass
class Action:
    name: str
    label: str
    allowed: bool
    reason: str = ""
    text_field: str | None = None
    text_label: str = ""
    assignees: list = field(default_factory=list)
    secondary: bool = False

    @property
    def asks_assignee(self) -> bool:
        return bool(self.assignees)


def _pending_required(dossier) -> int:
    return sum(
        1
        for component in dossier.components.all()
        if component.required and component.status == DigitizationStatus.PENDING
    )


def _refusal_reason(dossier, error) -> str:
    """The registry's refusal, worded for the desk: how many components are left to digitize."""
    if isinstance(error, ConditionNotMet):
        if error.code == "components_not_digitized":
            count = _pending_required(dossier)
            return ngettext(
                "%(count)d required component is not digitized yet.",
                "%(count)d required components are not digitized yet.",
                count,
            ) % {"count": count}
        if error.code == "result_missing":
            return str(_("The result document is not attached yet."))
    if isinstance(error, ActionForbidden):
        return str(_("You do not handle dossiers of this unit."))
    return str(error.message)


def transitions_for(dossier, user, assignee_pool=None) -> list[Action]:
    """Every transition out of the dossier's state that the user's role makes, allowed or not.

    `assignee_pool` is the list of active staff of the dossier's unit (for the hand-over choice);
    the caller reads it once.
    """
    if not user.is_active:
        return []
    machine = DOSSIER_MACHINE
    actions = []
    for name in sorted(machine.names):  # the registry's order (core.transitions)
        roles = machine.roles(name)
        if not user.is_admin and roles is not None and user.effective_role not in roles:
            continue
        error = machine.refusal(dossier, user, name)
        if isinstance(error, TransitionNotAllowed):  # not out of this state
            continue
        action = Action(
            name=name,
            label=str(machine.labels[name]),
            allowed=error is None,
            reason="" if error is None else _refusal_reason(dossier, error),
            text_field=machine.text_fields.get(name),
            secondary=name in SECONDARY,
        )
        if action.text_field:
            action.text_label = str(TEXT_LABELS[action.text_field])
        role = machine.assignee_roles.get(name)
        if role and assignee_pool:
            action.assignees = [
                person
                for person in assignee_pool
                if person.effective_role == role and may_process_in(person, dossier.unit_id)
            ]
        actions.append(action)
    return actions


def waiting_for(dossier, user) -> str:
    """Whom an open dossier waits for, in words, when it is not the user's own role."""
    role = WAITING_FOR.get(dossier.state)
    if role is None or role == user.effective_role:
        return ""
    return str(Role(role).label)


def may_digitize(dossier, user) -> bool:
    """Mirrors digitization.services.digitize_component's checks."""
    return dossier.state in (S.SUBMITTED, S.INTAKE, S.SUPPLEMENT) and _processes(
        user, dossier, {Role.CLERK}
    )


def may_attach_result(dossier, user) -> bool:
    """Mirrors digitization.services.attach_result's checks."""
    return (
        dossier.procedure.issues_result
        and dossier.state in (S.APPROVAL, S.SIGNING)
        and _processes(user, dossier, {Role.SPECIALIST, Role.APPROVER})
    )


def may_issue_apology(dossier, user, *, has_letter: bool, now=None) -> bool:
    """Mirrors procedures.services.apologies.issue_apology's checks."""
    return (
        not has_letter
        and _processes(user, dossier, PROCESSING_ROLES)
        and apology_possible(dossier, now or timezone.now())
    )


def assignee_pool(dossier) -> list:
    """Active processing staff who might take the dossier next (filtered per action)."""
    return list(
        User.objects.filter(is_active=True, role__in=PROCESSING_ROLES, unit__isnull=False)
        .filter(unit_id=dossier.unit_id)
        .order_by("last_name", "first_name", "username")
    )


def _processes(user, dossier, roles) -> bool:
    if not user.is_active:
        return False
    if user.is_admin:
        return True
    return user.effective_role in roles and may_process_in(user, dossier.unit_id)

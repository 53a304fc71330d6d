"""The dossier's state machine as a registry: an entry per action of Dossier (core.transitions).

The API endpoints, the admin buttons and the services are generated from it; TRANSITION_NAMES,
TRANSITION_LABELS and TRANSITION_TEXT_FIELD are derived from it.
"""

from django.utils.translation import gettext_lazy as _

from core.errors import ActionForbidden, InvalidInput
from core.transitions import Action, Machine, log_row
from procedures import authorization
from procedures.models.dossiers import Dossier, DossierTransition
from procedures.models.notices import Notice, NoticeKind
from procedures.models.staff import Role

INPUTS = "procedures.api.serializers."
# Logged like a transition, but the state stays (DOSSIER_MACHINE.records).
ATTACH_RESULT = "attach_result"

DOSSIER_ACTIONS = (
    Action("accept", _("Accept"), input=INPUTS + "HandOverInput", assignee_role=Role.CLERK,
           notice=NoticeKind.RECEIPT),
    Action("refuse", _("Refuse"), text_field="reason", input=INPUTS + "ReasonInput"),
    Action("forward", _("Forward to appraisal"), input=INPUTS + "HandOverInput",
           assignee_role=Role.SPECIALIST),
    Action("propose", _("Propose a decision"), text_field="opinion", input=INPUTS + "OpinionInput",
           assignee_role=Role.APPROVER),
    Action("approve", _("Approve"), input=INPUTS + "HandOverInput", assignee_role=Role.APPROVER),
    Action("send_back", _("Send back to appraisal"), text_field="reason",
           input=INPUTS + "ReasonHandOverInput", assignee_role=Role.SPECIALIST),
    Action("sign", _("Sign the result"), input=INPUTS + "HandOverInput", assignee_role=Role.CLERK,
           notice=NoticeKind.RESULT_READY),
    Action("deliver", _("Return the result"), input=INPUTS + "NoteInput"),
    Action("request_supplement", _("Request a supplement"), text_field="reason",
           input=INPUTS + "ReasonInput", notice=NoticeKind.SUPPLEMENT_REQUEST),
    Action("resume", _("Resume after supplement"), input=INPUTS + "NoteInput"),
    Action("reject", _("Reject"), text_field="reason", input=INPUTS + "ReasonInput"),
    Action("withdraw", _("Withdraw"), text_field="reason", input=INPUTS + "ReasonInput"),
)  # fmt: skip


def _role_gate(dossier, user, action):
    """A role that may never do the action is told so before the state is looked at."""
    roles = DOSSIER_MACHINE.roles(action)
    message = authorization.refusal(user, roles=roles)
    return None if message is None else ActionForbidden(message)


def _check_assignee(dossier, actor, action, arguments):
    assignee = arguments.get("assignee")
    if assignee is None:
        return
    role = DOSSIER_MACHINE.assignee_roles.get(action)
    if role is None or not authorization.may_act(
        assignee, roles={role}, unit=dossier.unit_id, admin_passes=False
    ):
        raise InvalidInput(
            fields={"assignee": [_("The person named cannot take the dossier at this step.")]}
        )


def _citizen_notice(dossier, action, at):
    kind = DOSSIER_MACHINE.notices.get(action)
    if kind is None or not dossier.applicant_email:
        return []
    from procedures.services.notices import notice_values

    return [(Notice, notice_values(kind=kind, dossier=dossier, at=at))]


def _queue_notices(rows):
    from procedures.services.notices import queue_delivery

    for model, values in rows:
        if model is Notice:
            queue_delivery(values["id"])


DOSSIER_MACHINE = Machine(
    model=Dossier,
    field="state",
    actions=DOSSIER_ACTIONS,
    log=lambda *, obj, **entry: log_row(DossierTransition, keys={"dossier_id": obj.pk}, **entry),
    gate=_role_gate,
    check_arguments=_check_assignee,
    extra_rows=_citizen_notice,
    after_commit=_queue_notices,
    version_field="version",
    records={ATTACH_RESULT: _("Attach the result")},
)

TRANSITION_NAMES = DOSSIER_MACHINE.names
TRANSITION_LABELS = DOSSIER_MACHINE.labels
# The label of every action a log entry names: registering, the transitions and the records.
LOG_LABELS = {"create": _("Register the dossier"), **DOSSIER_MACHINE.log_labels}
# The text each transition requires, if any.
TRANSITION_TEXT_FIELD = DOSSIER_MACHINE.text_fields

"""Building dossiers in a given state by playing the real services."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from digitization.services import attach_result, digitize_component
from procedures import services
from procedures.models import Dossier, DossierState
from tests.signing import result_upload

S = DossierState
# A working morning (a Tuesday, 10:00 local time), for tests whose dossiers, made over the 100
# minutes before "now" (dossier_in), must fall on the same working day as the test's own step.
WORKING_MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))

# The path of services that leads to each state, from a dossier submitted online.
PATHS = {
    S.SUBMITTED: [],
    S.INTAKE: ["accept"],
    S.REFUSED: ["refuse"],
    S.APPRAISAL: ["accept", "digitize", "forward"],
    S.APPROVAL: ["accept", "digitize", "forward", "propose"],
    S.SIGNING: ["accept", "digitize", "forward", "propose", "approve"],
    S.DELIVERY: ["accept", "digitize", "forward", "propose", "approve", "attach", "sign"],
    S.COMPLETED: [
        "accept",
        "digitize",
        "forward",
        "propose",
        "approve",
        "attach",
        "sign",
        "deliver",
    ],
    S.SUPPLEMENT: ["accept", "request_supplement"],
    S.REJECTED: ["accept", "reject"],
    S.WITHDRAWN: ["withdraw"],
}


def actor_for(world, action, dossier=None):
    if action in ("propose",):
        return world.specialist
    if action in ("approve", "send_back", "sign", "reject", "attach"):
        return world.approver
    if action == "request_supplement" and dossier is not None and dossier.state == S.APPRAISAL:
        return world.specialist
    return world.clerk


ARGUMENTS = {
    "refuse": {"reason": "Không thuộc thẩm quyền"},
    "propose": {"opinion": "Đủ điều kiện"},
    "send_back": {"reason": "Làm rõ căn cứ"},
    "request_supplement": {"reason": "Thiếu giấy tờ"},
    "reject": {"reason": "Không đủ điều kiện"},
    "withdraw": {"reason": "Công dân rút hồ sơ"},
}


def new_dossier(world, *, channel="online", at=None, unit=None, procedure=None, actor=None):
    return services.create_dossier(
        actor=actor or world.clerk,
        procedure=procedure or world.procedure,
        unit=unit or world.unit,
        channel=channel,
        applicant={
            "full_name": "Nguyễn Văn An",
            "id_number": "022090001234",
            "phone": "0912345678",
            "email": "an@example.vn",
            "address": "Số 1 Lê Thánh Tông, Hạ Long",
        },
        at=at,
    )


def digitize_all(world, dossier, at=None):
    for component in dossier.components.all():
        digitize_component(component=component, actor=world.clerk, reused_from="KHO-1", at=at)


def act(world, dossier, action, at=None):
    if action == "digitize":
        digitize_all(world, dossier, at=at)
        return Dossier.objects.get(pk=dossier.pk)
    if action == "attach":
        return attach_result(
            dossier=dossier, actor=world.approver, upload=result_upload(dossier.code), at=at
        )
    return services.perform_transition(
        dossier=dossier,
        actor=actor_for(world, action, dossier),
        action=action,
        at=at,
        **ARGUMENTS.get(action, {}),
    )


def dossier_in(world, state, *, at=None, step=timedelta(minutes=5)):
    """A dossier of `world.unit` brought to `state` through the services."""
    at = at or timezone.now() - step * 20
    dossier = new_dossier(world, at=at)
    for action in PATHS[state]:
        at += step
        dossier = act(world, dossier, action, at=at)
    assert dossier.state == state
    return Dossier.objects.get(pk=dossier.pk)

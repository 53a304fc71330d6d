"""The registries of the inspection's and the finding's state machines (core.transitions).

INSPECTION_TRANSITIONS and FOLLOW_UP_TRANSITIONS (action → label) are derived from them.
"""

from django.utils.translation import gettext_lazy as _

from core.errors import ActionForbidden
from core.transitions import Action, Machine, log_row
from inspections.errors import NotInProgress
from inspections.models.findings import Finding
from inspections.models.inspections import Inspection, InspectionState, led_by_lead
from inspections.models.log import InspectionLog

INPUTS = "inspections.api.serializers."
FOLLOW_UP_INPUT = INPUTS + "FollowUpInput"


def _log_of(inspection_id, finding_id, **entry):
    keys = {"inspection_id": inspection_id, "finding_number": finding_id}
    return log_row(InspectionLog, keys=keys, **entry)


def _lead_gate(inspection, user, action):
    """Only the lead acts on the inspection, whatever its state."""
    return None if led_by_lead(inspection, user) else ActionForbidden(led_by_lead.message)


def _lock_inspection(inspection):
    return Inspection.objects.select_for_update().get(pk=inspection.pk)


INSPECTION_MACHINE = Machine(
    model=Inspection,
    field="state",
    actions=(
        Action("start", _("Start the inspection"), input=INPUTS + "InspectionNoteInput"),
        Action("conclude", _("Conclude"), text_field="conclusion", input=INPUTS + "ConcludeInput"),
        Action("close", _("Close"), input=INPUTS + "InspectionNoteInput"),
    ),
    log=lambda *, obj, **entry: _log_of(obj.pk, None, **entry),
    gate=_lead_gate,
    lock=_lock_inspection,
    not_allowed=_("This action is not allowed in the inspection's current state."),
)


def _started_gate(finding, user, action):
    """Findings are followed up once their inspection has started."""
    if finding.inspection.state == InspectionState.PLANNED:
        return NotInProgress()
    return None


def _lock_finding(finding):
    """Lock the inspection, then the finding (always in that order)."""
    inspection = _lock_inspection(finding.inspection)
    current = Finding.objects.select_for_update().get(pk=finding.pk)
    current.inspection = inspection
    return current


FINDING_MACHINE = Machine(
    model=Finding,
    field="follow_up",
    actions=(
        Action("remedy", _("Report as remedied"), text_field="note", input=FOLLOW_UP_INPUT),
        Action("verify", _("Verify the remedy"), input=FOLLOW_UP_INPUT),
        Action("reopen", _("Reopen"), text_field="note", input=FOLLOW_UP_INPUT),
    ),
    log=lambda *, obj, **entry: _log_of(obj.inspection_id, obj.pk, **entry),
    gate=_started_gate,
    lock=_lock_finding,
    not_allowed=_("This action is not allowed in the finding's current follow-up state."),
    note_argument=True,
)

INSPECTION_TRANSITIONS = INSPECTION_MACHINE.labels
FOLLOW_UP_TRANSITIONS = FINDING_MACHINE.labels

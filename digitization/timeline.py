"""What a citizen is told about their dossier: the five steps as a timeline, the appointment and
the working days left, the supplement asked for, the apology. No personal data."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures.calendar import get_calendar
from procedures.models import STEP_OF_STATE, Dossier, DossierState, DossierTransition

S = DossierState
STEP_LABELS = {
    1: _("Intake and digitization"),
    2: _("Appraisal"),
    3: _("Approval"),
    4: _("Digital signing"),
    5: _("Return of result"),
}
DONE, CURRENT, PAUSED, STOPPED, TO_COME = "done", "current", "paused", "stopped", "to_come"
STATUS_LABELS = {
    DONE: _("Done"),
    CURRENT: _("Being handled now"),
    PAUSED: _("Waiting for your supplement"),
    STOPPED: _("Stopped"),
    TO_COME: _("To come"),
}


@dataclass(frozen=True)
class TimelineStep:
    number: int
    label: str
    status: str
    at: datetime | None  # when the step was finished (done) or stopped

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class CitizenView:
    dossier: Dossier
    steps: list[TimelineStep]
    appointment: datetime | None
    working_days_left: int | None  # to the appointment; negative when it has passed
    supplement_reason: str
    apology: object | None  # procedures.ApologyLetter


def _step_of(state: str) -> int | None:
    if state == S.COMPLETED:
        return 6  # past the last step
    return STEP_OF_STATE.get(state)


def timeline(dossier: Dossier, log: list[DossierTransition]) -> list[TimelineStep]:
    """Each step done (with the time it was last finished), current, paused, stopped or to come."""
    finished_at: dict[int, datetime] = {}
    for entry in log:
        source, target = _step_of(entry.source_state), _step_of(entry.target_state)
        if source and target and target > source:
            finished_at[source] = entry.at
    state = dossier.state
    current, status = None, CURRENT
    if state in STEP_OF_STATE:
        current = STEP_OF_STATE[state]
    elif state == S.SUPPLEMENT:
        current, status = STEP_OF_STATE.get(dossier.state_before_supplement, 1), PAUSED
    elif state in (S.REJECTED, S.WITHDRAWN) and log:
        current, status = STEP_OF_STATE.get(log[-1].source_state), STOPPED
    steps = []
    for number, label in STEP_LABELS.items():
        if state == S.COMPLETED or (current is not None and number < current):
            steps.append(TimelineStep(number, label, DONE, finished_at.get(number)))
        elif number == current:
            at = log[-1].at if status == STOPPED else None
            steps.append(TimelineStep(number, label, status, at))
        else:
            steps.append(TimelineStep(number, label, TO_COME, None))
    return steps


def citizen_view(dossier: Dossier, *, now: datetime | None = None) -> CitizenView:
    now = now or timezone.now()
    log = list(
        DossierTransition.objects.filter(dossier=dossier, at__gte=dossier.received_at)
        .only("source_state", "target_state", "action", "at", "payload")
        .order_by("at", "id")
    )
    apology = getattr(dossier, "apology", None)  # None when no letter was issued
    # While paused for a supplement the due date is recomputed on resumption: no date to give.
    appointment = dossier.appointment if dossier.state in STEP_OF_STATE else None
    days_left = None
    if dossier.state == S.SUPPLEMENT:
        days_left = dossier.working_days_left
    elif appointment is not None and dossier.state in STEP_OF_STATE:
        days_left = get_calendar().count_working_days(now, appointment)
    reason = ""
    if dossier.state == S.SUPPLEMENT:
        asked = [entry for entry in log if entry.action == "request_supplement"]
        reason = (asked[-1].payload or {}).get("reason", "") if asked else ""
    return CitizenView(
        dossier=dossier,
        steps=timeline(dossier, log),
        appointment=appointment,
        working_days_left=days_left,
        supplement_reason=reason,
        apology=apology,
    )

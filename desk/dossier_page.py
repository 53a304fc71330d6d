"""What the dossier page shows: applicant (masked by procedures.personal_data), steps, history,
actions."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from desk import actions
from desk.names import duration, staff_name
from desk.queue import annotate_deadlines
from digitization.services import ACCEPTED_TYPES
from procedures import selectors
from procedures.models import (
    LOG_LABELS,
    PROCESSING_ROLES,
    STEP_DUE_FIELDS,
    STEP_OF_STATE,
    STEP_STATES,
    DigitizationStatus,
    DossierComponent,
    DossierState,
)
from procedures.personal_data import applicant_data, sees_personal_data

CREATE_LABEL = _("Dossier registered")
ACCEPTED_UPLOAD = ",".join([".pdf", ".jpg", ".jpeg", ".png", *ACCEPTED_TYPES.values()])


@dataclass
class Step:
    number: int
    label: str
    due_at: object
    finished_at: object
    status: str  # met / late / current / current_late / pending


@dataclass
class HistoryLine:
    at: object
    label: str
    source: str
    target: str
    actor: str
    text: str
    note: str
    spent: str
    late: bool


def applicant(dossier, user) -> tuple[dict, bool]:
    """The applicant's data, masked unless the user handles the dossier's unit (or inspects it)."""
    unmasked = sees_personal_data(user, dossier)
    return applicant_data(dossier, unmasked=unmasked), unmasked


def _state_label(value: str) -> str:
    return str(DossierState(value).label) if value else ""


def history(dossier, entries) -> list[HistoryLine]:
    """Each log entry; the time spent at a step is counted between changes of state (an entry
    that leaves the state as it is, attaching the result, is shown in the state it was done in)."""
    lines = []
    previous_at = None
    for entry in entries:
        moves = entry.source_state != entry.target_state
        late = False
        step = STEP_OF_STATE.get(entry.source_state)
        if step is not None:
            due = getattr(dossier, STEP_DUE_FIELDS[step - 1])
            late = due is not None and entry.at > due
        payload = entry.payload or {}
        lines.append(
            HistoryLine(
                at=entry.at,
                label=str(
                    CREATE_LABEL
                    if entry.action == "create"
                    else LOG_LABELS.get(entry.action, entry.action)
                ),
                source=_state_label(entry.source_state) if moves else "",
                target=_state_label(entry.target_state),
                actor=staff_name(entry.actor),
                text=payload.get("reason") or payload.get("opinion") or "",
                note=entry.note,
                spent=duration(entry.at - previous_at) if previous_at and moves else "",
                late=late,
            )
        )
        if moves:
            previous_at = entry.at
    return lines


def steps(dossier, entries, now) -> list[Step]:
    left = {}
    for entry in entries:
        # a step is left by a change of state (attaching the result leaves the state as it is)
        if entry.source_state in STEP_STATES and entry.target_state != entry.source_state:
            left[entry.source_state] = entry.at
    result = []
    for state, due_field in zip(STEP_STATES, STEP_DUE_FIELDS, strict=True):
        due = getattr(dossier, due_field)
        finished = left.get(state)
        if dossier.state == state:
            status = "current_late" if due and now > due else "current"
            finished = None
        elif finished is not None:
            status = "late" if due and finished > due else "met"
        else:
            status = "pending"
        result.append(
            Step(STEP_OF_STATE[state], str(DossierState(state).label), due, finished, status)
        )
    return result


def reuse_candidates(dossier, user, id_number: str):
    """Components already digitized for the same citizen, in dossiers the user handles."""
    if not id_number:
        return []
    return list(
        DossierComponent.objects.filter(
            dossier__in=selectors.dossiers_handled_by_units_of(user).filter(
                applicant_id_number=id_number
            )
        )
        .exclude(status=DigitizationStatus.PENDING)
        .exclude(dossier_id=dossier.pk)
        .select_related("dossier")
        .order_by("-digitized_at")[:50]
    )


def context(dossier, user, *, now=None, reuse_id=None) -> dict:
    now = now or timezone.now()
    entries = list(selectors.dossier_history(dossier))
    data, unmasked = applicant(dossier, user)
    annotate_deadlines([dossier], now)
    pool = actions.assignee_pool(dossier) if user.is_active else []
    buttons = actions.transitions_for(dossier, user, pool)
    letter = getattr(dossier, "apology", None)
    may_digitize = actions.may_digitize(dossier, user)
    reuse_id = dossier.applicant_id_number if reuse_id is None else reuse_id
    components = list(dossier.components.all())
    return {
        "dossier": dossier,
        "applicant": data,
        "unmasked": unmasked,
        "components": components,
        "pending_required": sum(1 for c in components if c.required and not c.is_digitized),
        "steps": steps(dossier, entries, now),
        "history": history(dossier, entries),
        "notices": list(dossier.notices.order_by("created_at")),
        "actions": buttons,
        "waiting_for": actions.waiting_for(dossier, user),
        "may_digitize": may_digitize,
        "may_attach_result": actions.may_attach_result(dossier, user),
        "may_issue_apology": actions.may_issue_apology(
            dossier, user, has_letter=letter is not None, now=now
        ),
        "letter": letter,
        "reuse_id": reuse_id,
        "reuse_candidates": reuse_candidates(dossier, user, reuse_id) if may_digitize else [],
        "accept_upload": ACCEPTED_UPLOAD,
        "unmasked_files": unmasked,
        "read_only": not (user.is_admin or user.effective_role in PROCESSING_ROLES),
    }

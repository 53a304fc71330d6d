"""Apology letters (form 04): issued once for a dossier that is late or due today."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures import authorization
from procedures.calendar import get_calendar
from procedures.errors import ConditionNotMet, InvalidInput
from procedures.models import (
    PROCESSING_ROLES,
    STEP_STATES,
    ApologyLetter,
    Dossier,
    NoticeKind,
    User,
)
from procedures.models.dossiers import required_text
from procedures.services.notices import notify_citizen


def apology_possible(dossier: Dossier, at: datetime) -> bool:
    """In a step (neither paused nor finished) and past its due time or due today."""
    if dossier.state not in STEP_STATES or dossier.due_at is None:
        return False
    calendar = get_calendar()
    return dossier.due_at < at or calendar.local(dossier.due_at).date() == calendar.local(at).date()


def issue_apology(
    *,
    dossier: Dossier,
    actor: User,
    reason: str,
    new_appointment_date: date,
    at: datetime | None = None,
) -> ApologyLetter:
    """Record form 04 and give the citizen the new appointment; the due date stays as it is.

    The new date must be a working day after today. Raises ConditionNotMet when the dossier
    is not late nor due today, or already has its letter.
    """
    at = at or timezone.now()
    authorization.require(
        actor,
        roles=PROCESSING_ROLES,
        unit=dossier.unit_id,
        role_message=_("Only the staff handling dossiers issue apology letters."),
    )
    reason = required_text(reason, "reason")
    calendar = get_calendar()
    if new_appointment_date <= calendar.local(at).date() or not calendar.is_working_day(
        new_appointment_date
    ):
        raise InvalidInput(
            fields={
                "new_appointment_date": [
                    _("The new appointment must be a working day after today.")
                ]
            }
        )
    try:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().get(pk=dossier.pk)
            if ApologyLetter.objects.filter(dossier=locked).exists():
                raise _already_issued()
            if not apology_possible(locked, at):
                raise ConditionNotMet(
                    _("An apology letter is only for a dossier that is overdue or due today."),
                    code="not_overdue",
                )
            letter = ApologyLetter.objects.create(
                dossier=locked,
                reason=reason,
                new_appointment_date=new_appointment_date,
                missed_due_at=locked.due_at,
                issued_by=actor,
                issued_at=at,
            )
            locked.appointment_at = calendar.closing_time(new_appointment_date)
            Dossier.objects.filter(pk=locked.pk).update(appointment_at=locked.appointment_at)
            notify_citizen(dossier=locked, kind=NoticeKind.APOLOGY, at=at)
    except IntegrityError as error:  # a concurrent request issued it first
        raise _already_issued() from error
    return letter


def _already_issued() -> ConditionNotMet:
    return ConditionNotMet(
        _("An apology letter has already been issued for this dossier."),
        code="apology_already_issued",
    )

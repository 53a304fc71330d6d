"""The periodic deadline checks: one set-based UPDATE each, safe to run again at any time.

They record facts about dossiers without acting on them, so they neither raise `version` (a
user's transition in flight does not conflict with them) nor touch `updated_at`. The flags are
never cleared: a dossier found late stays recorded as late after it resumes or finishes (the
due-soon flag alone is cleared on resumption, when a new due date is computed).

The step and the staff member recorded for a late dossier are the state and the handler at the
time of the check, at most one run (15 minutes) after the due time. A dossier without a handler
was waiting in its unit's queue for the step: the step is recorded and the staff member left
empty, rather than blaming whoever handed the dossier over in time.
"""

from datetime import datetime

from django.db.models import F
from django.utils import timezone

from procedures.calendar import get_calendar
from procedures.models import STEP_STATES, Dossier


def _watched():
    """Open dossiers in a step (not paused, not finished) not yet found late."""
    return Dossier.objects.filter(state__in=STEP_STATES, overdue_since__isnull=True)


def flag_overdue_dossiers(*, now: datetime | None = None) -> int:
    """Mark the dossiers whose due time has passed; returns how many were newly marked."""
    now = now or timezone.now()
    return (
        _watched()
        .filter(due_at__lt=now)
        .update(
            overdue_since=now,
            overdue_step=F("state"),
            overdue_handler=F("handler"),
            keep_updated_at=True,
        )
    )


def due_soon_limit(now: datetime) -> datetime:
    """The latest due time that counts as due soon: the close of the next working day."""
    calendar = get_calendar()
    return calendar.closing_time(calendar.add_working_days(calendar.effective_day(now), 1))


def flag_due_soon(*, now: datetime | None = None) -> int:
    """Mark the dossiers due within one working day; returns how many were newly marked."""
    now = now or timezone.now()
    return (
        _watched()
        .filter(due_soon_since__isnull=True, due_at__gte=now, due_at__lte=due_soon_limit(now))
        .update(due_soon_since=now, keep_updated_at=True)
    )

"""Drop the in-memory unit tree and calendar when their tables change (including bulk deletes)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from procedures.calendar import invalidate_calendar
from procedures.models import CalendarDay, Unit
from procedures.scoping import unit_tree


@receiver([post_save, post_delete], sender=CalendarDay)
def calendar_day_changed(**kwargs):
    invalidate_calendar()


@receiver([post_save, post_delete], sender=Unit)
def unit_changed(**kwargs):
    unit_tree.invalidate()

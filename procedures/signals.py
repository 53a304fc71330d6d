"""Drop the in-memory unit tree and calendar when their tables change (including bulk deletes)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from rest_framework.authtoken.models import Token

from procedures.calendar import invalidate_calendar
from procedures.models import CalendarDay, Unit, User
from procedures.scoping import unit_tree


@receiver([post_save, post_delete], sender=CalendarDay)
def calendar_day_changed(**kwargs):
    invalidate_calendar()


@receiver([post_save, post_delete], sender=Unit)
def unit_changed(**kwargs):
    unit_tree.invalidate()


@receiver([post_save, post_delete], sender=User)
@receiver([post_save, post_delete], sender=Token)
def credentials_changed(**kwargs):
    from api.authentication import forget_tokens

    forget_tokens()

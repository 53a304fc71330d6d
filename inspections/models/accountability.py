"""The accountability tables: what the reports count, kept current by the metrics runs.

Derived from the dossiers and their transition log by inspections.accountability_tables (the
rules are in inspections.accountability); rebuilt in bulk, so no foreign key constraints.

- `AccountabilityFacts`, one row per dossier: its unit and local day of receipt, whether it
  finished late, whether it is still in a step (late once its due date passes), the step and
  person holding it at its due date, and its step visits counted.
- `AccountabilityHolding`, one row per (dossier, holder of one of its step visits).
- `UnitDayAccountability` and `StaffDayAccountability`: those rows summed per unit and day of
  receipt (and holder), so a report over a period reads a few rows per unit and day. Lateness
  in them is that of dossiers finished late; open dossiers go late with the clock, so the reports
  count those from the facts when they run.
"""

from django.conf import settings
from django.db import models


def _unit():
    return models.ForeignKey(
        "procedures.Unit",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )


def _person():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        db_index=False,
        db_constraint=False,
    )


class AccountabilityFacts(models.Model):
    dossier = models.OneToOneField(
        "procedures.Dossier",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="accountability_facts",
        db_constraint=False,
    )
    unit = _unit()
    received_day = models.DateField()
    due_at = models.DateTimeField(null=True)
    in_step = models.BooleanField(default=False)
    finished_late = models.BooleanField(default=False)
    late_state = models.CharField(max_length=16, null=True)
    late_holder = _person()
    has_visit = models.BooleanField(default=False)
    finished_visits = models.IntegerField(default=0)
    visit_microseconds = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["unit", "received_day"], name="acc_facts_unit_day"),
            models.Index(
                fields=["due_at", "received_day"],
                name="acc_facts_open_due",
                condition=models.Q(in_step=True),
            ),
        ]

    def __str__(self):
        return f"accountability facts of dossier {self.dossier_id}"


class AccountabilityHolding(models.Model):
    dossier = models.ForeignKey(
        "procedures.Dossier", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    holder = _person()
    unit = _unit()
    received_day = models.DateField()
    finished_visits = models.IntegerField(default=0)
    visit_microseconds = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["unit", "received_day"], name="acc_holding_unit_day")]

    def __str__(self):
        return f"dossier {self.dossier_id} held by {self.holder_id}"


class DayAccountability(models.Model):
    unit = _unit()
    day = models.DateField()
    handled = models.IntegerField(default=0)
    finished_visits = models.IntegerField(default=0)
    visit_microseconds = models.BigIntegerField(default=0)
    late_intake = models.IntegerField(default=0)
    late_appraisal = models.IntegerField(default=0)
    late_approval = models.IntegerField(default=0)
    late_signing = models.IntegerField(default=0)
    late_delivery = models.IntegerField(default=0)

    class Meta:
        abstract = True


class UnitDayAccountability(DayAccountability):
    received = models.IntegerField(default=0)
    late_elsewhere = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "unit"], name="unit_day_accountability")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.day}"


class StaffDayAccountability(DayAccountability):
    holder = _person()

    class Meta:
        indexes = [models.Index(fields=["day", "unit"], name="staff_day_acc_day_unit")]

    def __str__(self):
        return f"{self.unit_id} {self.day} {self.holder_id}"


class AccountabilityPendingDay(models.Model):
    """A (unit, day of receipt) a metrics run is about to recount; empty outside a run."""

    unit = _unit()
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="accountability_pending_day")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.day}"

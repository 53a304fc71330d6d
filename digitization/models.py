from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _upload_to(instance, filename):
    # Content-addressed: the path says nothing about the citizen, and the same scan reuses a name.
    now = timezone.now()
    return f"digitized/{now:%Y/%m}/{instance.sha256}"


class DigitizedFile(models.Model):
    """A scanned paper or a signed result document, kept through Django's storage."""

    file = models.FileField(_("file"), upload_to=_upload_to, max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("digitized file")
        verbose_name_plural = _("digitized files")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name or self.sha256


# --- citizen satisfaction ---------------------------------------------------------------------


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    NEUTRAL = "neutral", _("Neither satisfied nor dissatisfied")
    NOT_SATISFIED = "not_satisfied", _("Not satisfied")


class SatisfactionRating(models.Model):
    """The citizen's rating of a dossier, given once, after the result was returned."""

    dossier = models.OneToOneField(
        "procedures.Dossier",
        verbose_name=_("dossier"),
        on_delete=models.CASCADE,
        related_name="satisfaction_rating",
    )
    rating = models.CharField(_("rating"), max_length=16, choices=Satisfaction.choices)
    complaint = models.BooleanField(_("complaint"), default=False)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    rated_at = models.DateTimeField(_("rated at"), default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        ordering = ["-rated_at"]

    def __str__(self):
        return f"{self.dossier_id}: {self.get_rating_display()}"

    @property
    def counts_against(self) -> bool:
        """What the satisfaction indicator counts: rated not satisfied, or with a complaint."""
        return self.rating == Satisfaction.NOT_SATISFIED or self.complaint


# --- metrics (digitization.metrics writes these; digitization.selectors reads them) -----------


class DossierFacts(models.Model):
    """What the metrics count of one dossier, and the local days they count it on.

    Derived from the dossier, its components and its rating by digitization.metrics; a day is
    null when the dossier does not count on any day for that family. Keeping the days a dossier
    was last counted on is what lets an incremental run also correct the days it no longer
    counts on (a resumed dossier's old due day, for instance).
    """

    dossier = models.OneToOneField(
        "procedures.Dossier",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,  # derived data, rebuilt in bulk
    )
    unit = models.ForeignKey(
        "procedures.Unit",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    received_day = models.DateField(null=True)
    online = models.BooleanField(default=False)
    digitized = models.BooleanField(default=False)
    reused = models.BooleanField(default=False)
    finished_day = models.DateField(null=True)
    on_time = models.BooleanField(default=False)
    needs_result = models.BooleanField(default=False)
    has_result = models.BooleanField(default=False)
    overdue_from = models.DateField(null=True)
    overdue_until = models.DateField(null=True)
    rated_day = models.DateField(null=True)
    not_satisfied = models.BooleanField(default=False)
    # Decision 766 (digitization.indicators): counted on the day of acceptance.
    accepted_day = models.DateField(null=True)
    # 2.1: the day processing ended (finished, stopped, withdrawn, or waiting for a supplement),
    # whether it ended on time, and, while still open, the due day it is judged against (null
    # after a second supplement request: late whatever the period).
    ended_day = models.DateField(null=True)
    on_time_ended = models.BooleanField(default=False)
    open_due_day = models.DateField(null=True)
    online_national = models.BooleanField(default=False)
    direct = models.BooleanField(default=False)
    postal = models.BooleanField(default=False)
    paper_result = models.BooleanField(default=False)
    result_issued = models.BooleanField(default=False)
    e_result = models.BooleanField(default=False)
    digitized_any = models.BooleanField(default=False)
    digitized_all = models.BooleanField(default=False)
    # 2.2: the procedure, and the working days from acceptance to the result less the supplement
    # pauses, once the result is issued.
    procedure = models.ForeignKey(
        "procedures.Procedure",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        db_index=False,
        db_constraint=False,
    )
    processing_days = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("dossier metrics facts")
        verbose_name_plural = _("dossier metrics facts")
        # No index per day column: a run writes a fact row per changed dossier, and each index
        # would be written too; the days of a range are recounted from the facts of the dossiers
        # pended for it (digitization.metrics). These two serve the readers.
        indexes = [
            models.Index(
                fields=["unit", "accepted_day"],
                name="facts_open_due",
                include=["open_due_day"],
                condition=models.Q(open_due_day__isnull=False),
            ),
            models.Index(
                fields=["procedure", "accepted_day"],
                name="facts_processing_days",
                include=["unit", "processing_days"],
                condition=models.Q(processing_days__isnull=False),
            ),
        ]

    def __str__(self):
        return f"facts of dossier {self.dossier_id}"


class MetricCounts(models.Model):
    """The counts the indicators are computed from.

    `overdue_started` and `overdue_ended` are the changes of the number of overdue open dossiers:
    the number open and overdue at the end of a day is the sum of (started - ended) over every
    day up to it.
    """

    received = models.PositiveIntegerField(_("received"), default=0)
    received_online = models.PositiveIntegerField(_("received online"), default=0)
    digitized = models.PositiveIntegerField(_("fully digitized"), default=0)
    reused = models.PositiveIntegerField(_("with a reused component"), default=0)
    finished = models.PositiveIntegerField(_("finished"), default=0)
    finished_on_time = models.PositiveIntegerField(_("finished on time"), default=0)
    finished_needing_result = models.PositiveIntegerField(
        _("finished, needing a result"), default=0
    )
    finished_with_result = models.PositiveIntegerField(
        _("finished with a digitized result"), default=0
    )
    overdue_started = models.PositiveIntegerField(_("became overdue"), default=0)
    overdue_ended = models.PositiveIntegerField(_("overdue ones finished or paused"), default=0)
    rated = models.PositiveIntegerField(_("rated"), default=0)
    not_satisfied = models.PositiveIntegerField(
        _("rated not satisfied or with a complaint"), default=0
    )
    # Decision 766, on the day of acceptance (digitization.indicators).
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    accepted_ended_on_time = models.PositiveIntegerField(
        _("accepted, processing ended on time"), default=0
    )
    accepted_online = models.PositiveIntegerField(_("accepted, online (3.3)"), default=0)
    accepted_direct = models.PositiveIntegerField(_("accepted at the counter"), default=0)
    accepted_postal = models.PositiveIntegerField(_("accepted by post"), default=0)
    paper_result = models.PositiveIntegerField(_("accepted, a result document due"), default=0)
    paper_result_issued = models.PositiveIntegerField(
        _("accepted, a result document due and issued"), default=0
    )
    e_result = models.PositiveIntegerField(_("accepted, electronic result issued"), default=0)
    digitized_any = models.PositiveIntegerField(
        _("accepted, digitized (a component file)"), default=0
    )
    digitized_all = models.PositiveIntegerField(
        _("accepted, digitized (every required component)"), default=0
    )
    accepted_reused = models.PositiveIntegerField(_("accepted, with reused data"), default=0)
    disliked = models.PositiveIntegerField(
        _("accepted, rated not satisfied or with a complaint"), default=0
    )
    disliked_late = models.PositiveIntegerField(_("of those, late"), default=0)
    # On the day processing ended (2.1).
    ended = models.PositiveIntegerField(_("processing ended"), default=0)
    ended_on_time = models.PositiveIntegerField(_("processing ended on time"), default=0)

    class Meta:
        abstract = True


class UnitDayMetrics(MetricCounts):
    """The counts per unit and local day."""

    unit = models.ForeignKey(
        "procedures.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # served by unit_day_metrics
        db_constraint=False,  # derived data, rebuilt in bulk
    )
    day = models.DateField(_("day"))
    month = models.DateField(_("month"), help_text=_("The first day of the day's month."))

    class Meta:
        verbose_name = _("unit metrics of a day")
        verbose_name_plural = _("unit metrics per day")
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="unit_day_metrics"),
        ]
        indexes = [
            models.Index(fields=["unit", "month"], name="unit_day_metrics_month"),
            models.Index(fields=["day", "unit"], name="unit_day_metrics_by_day"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.day}"


class UnitMonthMetrics(MetricCounts):
    """The daily counts summed per unit and month, so that a year is read in a few rows."""

    unit = models.ForeignKey(
        "procedures.Unit",
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # served by unit_month_metrics
        db_constraint=False,  # derived data, rebuilt in bulk
    )
    month = models.DateField(_("month"), help_text=_("Its first day."))

    class Meta:
        verbose_name = _("unit metrics of a month")
        verbose_name_plural = _("unit metrics per month")
        constraints = [
            models.UniqueConstraint(fields=["unit", "month"], name="unit_month_metrics"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.month:%Y-%m}"


class MetricsPendingDay(models.Model):
    """A (unit, day) a metrics run is about to recompute; empty outside a run."""

    unit = models.ForeignKey(
        "procedures.Unit",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="metrics_pending_day"),
        ]

    def __str__(self):
        return f"{self.unit_id} {self.day}"


class WorkingDayRank(models.Model):
    """How many working days fall on or before each day (procedures.calendar's rank), so that
    the metrics SQL counts working days between two dates as a difference of ranks. Derived from
    the working calendar by every full metrics run."""

    day = models.DateField(primary_key=True)
    rank = models.IntegerField()

    def __str__(self):
        return f"{self.day}: {self.rank}"


class MetricsState(models.Model):
    """One row: up to when dossier changes are counted, so a run takes only the newer ones."""

    changes_through = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)
    # The accountability tables (inspections.accountability_tables) count every dossier change
    # made before this moment; null until a run has built them.
    accountability_counted_before = models.DateTimeField(null=True)
    version = models.PositiveBigIntegerField(
        default=0, help_text="Raised by every run that changed the tables; keys cached readings."
    )

    def __str__(self):
        return f"metrics counted through {self.changes_through}"

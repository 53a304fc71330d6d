from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, FSMField, FSMModelMixin, transition

from procedures.errors import InvalidInput
from procedures.models.append_only import AppendOnlyModel
from procedures.models.staff import Role


class Channel(models.TextChoices):
    DIRECT = "direct", _("At the one-stop counter")
    ONLINE = "online", _("Online")
    POSTAL = "postal", _("By post")


class DossierState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted online, not yet checked")
    INTAKE = "intake", _("Step 1: intake and digitization")
    APPRAISAL = "appraisal", _("Step 2: appraisal")
    APPROVAL = "approval", _("Step 3: approval")
    SIGNING = "signing", _("Step 4: digital signing")
    DELIVERY = "delivery", _("Step 5: return of result")
    COMPLETED = "completed", _("Result returned")
    SUPPLEMENT = "supplement", _("Awaiting supplement")
    REFUSED = "refused", _("Not accepted")
    REJECTED = "rejected", _("Processing stopped")
    WITHDRAWN = "withdrawn", _("Withdrawn at the citizen's request")


S = DossierState

# The national portal's status codes (1-10) for each state.
NATIONAL_STATUS = {
    S.SUBMITTED: 1,
    S.INTAKE: 2,
    S.REFUSED: 3,
    S.APPRAISAL: 4,
    S.APPROVAL: 4,
    S.SIGNING: 4,
    S.SUPPLEMENT: 5,
    S.WITHDRAWN: 7,
    S.REJECTED: 8,
    S.DELIVERY: 9,
    S.COMPLETED: 10,
}
STEP_OF_STATE = {S.INTAKE: 1, S.APPRAISAL: 2, S.APPROVAL: 3, S.SIGNING: 4, S.DELIVERY: 5}
STEP_STATES = tuple(STEP_OF_STATE)
OPEN_STATES = (S.SUBMITTED, *STEP_STATES, S.SUPPLEMENT)
FINAL_STATES = (S.COMPLETED, S.REFUSED, S.REJECTED, S.WITHDRAWN)
# Per-step deadline fields, in step order.
STEP_DUE_FIELDS = (
    "intake_due_at",
    "appraisal_due_at",
    "approval_due_at",
    "signing_due_at",
    "delivery_due_at",
)


def step_due_days(total: int, shares) -> list[int]:
    """Working days from acceptance to the end of each step, for a processing time of `total`
    working days shared between the steps in percent: each step gets whole working days (the
    ceiling of its cumulative share), the last one ends at `total`."""
    days, cumulative = [], 0
    for share in shares:
        cumulative += share
        days.append(-(-total * cumulative // 100))
    return days


def performed_by(*roles):
    """A transition permission: one of `roles`, or an administrator, in the dossier's unit."""
    from procedures import authorization

    def refusal(dossier, user):
        return authorization.refusal(
            user,
            roles=roles,
            unit=dossier.unit_id,
            role_message=_("Your role may not do this at this step."),
        )

    def permission(dossier, user):
        return refusal(dossier, user) is None

    permission.roles = frozenset(roles)
    permission.refusal = refusal
    return permission


def condition(code, message):
    """A transition condition that carries the error to report when it does not hold."""

    def decorate(check):
        check.error_code = code
        check.error_message = message
        return check

    return decorate


@condition("components_not_digitized", _("Every required component must be digitized first."))
def required_components_digitized(dossier) -> bool:
    # The components read with the dossier when they were (a request's read): a component is
    # never un-digitized, so what held when read still holds.
    loaded = getattr(dossier, "_prefetched_objects_cache", {}).get("components")
    if loaded is not None:
        return not any(c.required and c.status == DigitizationStatus.PENDING for c in loaded)
    return not dossier.components.filter(required=True, status=DigitizationStatus.PENDING).exists()


@condition("result_missing", _("The result document must be attached before signing."))
def result_document_attached(dossier) -> bool:
    return dossier.result_file_id is not None or not dossier.procedure.issues_result


def required_text(value, field):
    text = (value or "").strip()
    if not text:
        raise InvalidInput(fields={field: [_("This field is required.")]})
    return text


def _state_before_supplement(dossier, **kwargs):
    return dossier.state_before_supplement


class DossierQuerySet(models.QuerySet):
    def update(self, *, keep_updated_at: bool = False, **kwargs):
        """Every update moves `updated_at`, which the incremental metrics read, unless it is
        given or `keep_updated_at` (the deadline flags: facts the metrics do not read).

        With save() (auto_now) and core.engine (which sets it), this is the one write path of
        dossier rows: no writer can forget the column.
        """
        if not keep_updated_at:
            kwargs.setdefault("updated_at", timezone.now())
        return super().update(**kwargs)


class Dossier(FSMModelMixin, models.Model):
    """A citizen's application, followed through the five electronic steps.

    The transition methods change the instance in memory only; procedures.services is what
    calls them, saves and writes the transition log.
    """

    code = models.CharField(_("dossier code"), max_length=64, unique=True)
    # Foreign keys whose lookups are served by a composite index below carry no index of their own.
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        db_index=False,
    )
    unit = models.ForeignKey(
        "procedures.Unit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="dossiers",
        db_index=False,
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    applicant_full_name = models.CharField(_("applicant's full name"), max_length=255)
    # The name in capitals, kept by the database: the name search (`q`) compares it as it is,
    # where UPPER() on every row passed cost three quarters of the search (indexes below).
    applicant_name_search = models.GeneratedField(
        verbose_name=_("applicant's name for searching"),
        expression=Upper("applicant_full_name"),
        output_field=models.CharField(max_length=255),
        db_persist=True,
    )
    applicant_id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    applicant_phone = models.CharField(_("phone"), max_length=32, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=500, blank=True)

    state = FSMField(_("state"), choices=DossierState.choices, default=S.SUBMITTED, protected=True)
    state_before_supplement = models.CharField(
        _("step awaiting the supplement"), max_length=16, choices=DossierState.choices, blank=True
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("current handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_dossiers",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    intake_due_at = models.DateTimeField(_("intake due at"), null=True, blank=True)
    appraisal_due_at = models.DateTimeField(_("appraisal due at"), null=True, blank=True)
    approval_due_at = models.DateTimeField(_("approval due at"), null=True, blank=True)
    signing_due_at = models.DateTimeField(_("signing due at"), null=True, blank=True)
    delivery_due_at = models.DateTimeField(_("delivery due at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    working_days_left = models.SmallIntegerField(
        _("working days left while paused"), null=True, blank=True
    )
    supplement_count = models.PositiveSmallIntegerField(_("supplement requests"), default=0)

    appraisal_opinion = models.TextField(_("appraisal opinion"), blank=True)
    decision_reason = models.TextField(_("reason for refusal, rejection or withdrawal"), blank=True)
    result_file = models.ForeignKey(
        "digitization.DigitizedFile",
        verbose_name=_("result document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    result_signed_at = models.DateTimeField(_("result signed at"), null=True, blank=True)
    result_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("result signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Set by the periodic deadline jobs (procedures.services.deadlines), never by a transition;
    # they stay once set, so a dossier that went late stays recorded as late.
    overdue_since = models.DateTimeField(
        _("found overdue at"),
        null=True,
        blank=True,
        help_text=_("When the periodic check found the dossier past its due date."),
    )
    overdue_step = models.CharField(
        _("step that went late"),
        max_length=16,
        choices=DossierState.choices,
        blank=True,
        default="",
    )
    overdue_handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler when it went late"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # served by dossier_overdue_handler
    )
    due_soon_since = models.DateTimeField(
        _("found due soon at"),
        null=True,
        blank=True,
        help_text=_("When the periodic check found the dossier due within one working day."),
    )
    appointment_at = models.DateTimeField(
        _("new appointment"),
        null=True,
        blank=True,
        help_text=_(
            "The new date for returning the result given by the apology letter (form 04); "
            "the statutory due date does not change."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        help_text=_("Raised by every transition, so an action on an outdated copy is refused."),
    )

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [
            models.Index(fields=["unit", "-received_at", "-id"], name="dossier_unit_received"),
            # Newest first across units; covering the unit, state, channel and name filters, so that
            # finding a page's ids (api.pagination) needs the index alone (on PostgreSQL).
            models.Index(
                fields=["-received_at", "-id"],
                name="dossier_received_search",
                include=["unit", "state", "channel", "applicant_name_search"],
            ),
            # The overdue list (selectors.overdue_parts), newest first: only dossiers flagged late
            # and still in a step, or finished late, so that a page is found from this index alone
            # without passing over the open dossiers not yet due.
            models.Index(
                fields=["-received_at", "-id"],
                name="dossier_flagged_late_received",
                include=["unit", "state", "due_at", "completed_at"],
                condition=Q(state__in=[s.value for s in STEP_STATES], overdue_since__isnull=False)
                | Q(completed_at__gt=F("due_at")),
            ),
            models.Index(fields=["unit", "state", "due_at"], name="dossier_unit_state_due"),
            models.Index(fields=["state", "due_at"], name="dossier_state_due"),
            models.Index(fields=["procedure", "-received_at"], name="dossier_procedure_received"),
            models.Index(fields=["handler", "state"], name="dossier_handler_state"),
            models.Index(fields=["updated_at"], name="dossier_updated"),
            # Work lists of open dossiers ordered by due date, per unit and province-wide.
            models.Index(
                fields=["unit", "due_at", "id"],
                name="dossier_open_unit_due",
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
            ),
            models.Index(
                fields=["due_at", "id"],
                name="dossier_open_due",
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
            ),
            # The desk's counts per tab (open dossiers per state of the user's units), read from
            # this small index alone: no visit to each open dossier's row.
            models.Index(
                fields=["unit", "state"],
                name="dossier_open_unit_state",
                condition=Q(state__in=[s.value for s in OPEN_STATES]),
            ),
            # Reusing a citizen's digitized papers: their dossiers found by ID number.
            models.Index(fields=["applicant_id_number"], name="dossier_applicant_id"),
            # Open dossiers not yet found late: what the deadline jobs scan, shrinking as they flag
            # (and where the overdue list finds the earliest due time among them).
            models.Index(
                fields=["due_at"],
                name="dossier_deadline_watch",
                condition=Q(state__in=[s.value for s in STEP_OF_STATE], overdue_since__isnull=True),
            ),
            models.Index(
                fields=["overdue_since"],
                name="dossier_overdue_since",
                condition=Q(overdue_since__isnull=False),
            ),
            models.Index(
                fields=["due_soon_since"],
                name="dossier_due_soon_since",
                condition=Q(due_soon_since__isnull=False),
            ),
            models.Index(
                fields=["overdue_handler"],
                name="dossier_overdue_handler",
                condition=Q(overdue_handler__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in DossierState]),
                name="dossier_state_valid",
            ),
        ]

    def __str__(self):
        return self.code

    # --- derived facts ---------------------------------------------------------------------

    @property
    def step(self) -> int | None:
        return STEP_OF_STATE.get(self.state)

    @property
    def national_status(self) -> int:
        return NATIONAL_STATUS[self.state]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def appointment(self):
        """When the citizen is to come for the result: the apology's date, else the due date."""
        return self.appointment_at or self.due_at

    @property
    def is_paused(self) -> bool:
        return self.state == S.SUPPLEMENT

    def is_overdue(self, now=None) -> bool:
        """Past the due date: still in a step after it, or finished after it (paused dossiers
        are not). The same rule as procedures.selectors.overdue_condition, in Python."""
        if self.due_at is None:
            return False
        if self.completed_at is not None and self.completed_at > self.due_at:
            return True
        return self.state in STEP_STATES and self.due_at < (now or timezone.now())

    # --- deadlines -------------------------------------------------------------------------

    def start_clock(self, at) -> None:
        """Set the due date and the per-step due times from the moment of acceptance."""
        self._set_deadlines(at)
        self.accepted_at = at

    def _set_deadlines(self, at) -> None:
        """The due date and the per-step due times, the whole processing time from `at`."""
        from procedures.calendar import get_calendar

        calendar = get_calendar()
        total = self.procedure.processing_days
        steps = step_due_days(total, self.procedure.step_shares)
        for field, days in zip(STEP_DUE_FIELDS, steps, strict=True):
            setattr(self, field, calendar.deadline(at, days))
        self.due_at = calendar.deadline(at, total)

    def _pause_clock(self, at) -> None:
        from procedures.calendar import get_calendar

        self.paused_at = at
        self.working_days_left = get_calendar().count_working_days(at, self.due_at)

    def _resume_clock(self, at) -> None:
        """Recompute the deadlines from the day of resumption, keeping the working days left or
        restarting the whole time, as the rule in force at acceptance says."""
        from procedures.calendar import get_calendar
        from procedures.supplement_rules import RESTART, supplement_rule

        if supplement_rule(self.accepted_at).rule == RESTART:
            self._set_deadlines(at)
        else:
            calendar = get_calendar()
            first_open_step = STEP_OF_STATE[self.state_before_supplement] - 1
            for field in STEP_DUE_FIELDS[first_open_step:]:
                left = calendar.count_working_days(self.paused_at, getattr(self, field))
                setattr(self, field, calendar.deadline(at, left))
            self.due_at = calendar.deadline(at, self.working_days_left)
        self.due_soon_since = None  # a new due date deserves its own warning
        self.paused_at = None
        self.working_days_left = None

    def _finish(self, actor, at) -> None:
        self.completed_at = at
        self.handler = actor

    # --- the state machine -----------------------------------------------------------------
    # Each method returns the payload recorded in the transition log.

    @transition(
        field=state, source=S.SUBMITTED, target=S.INTAKE, permission=performed_by(Role.CLERK)
    )
    def accept(self, *, actor, at, assignee=None):
        self.start_clock(at)
        self.handler = assignee or actor
        return {}

    @transition(
        field=state, source=S.SUBMITTED, target=S.REFUSED, permission=performed_by(Role.CLERK)
    )
    def refuse(self, *, actor, at, reason):
        self.decision_reason = required_text(reason, "reason")
        self._finish(actor, at)
        return {"reason": self.decision_reason}

    @transition(
        field=state,
        source=S.INTAKE,
        target=S.APPRAISAL,
        conditions=[required_components_digitized],
        permission=performed_by(Role.CLERK),
    )
    def forward(self, *, actor, at, assignee=None):
        self.handler = assignee
        return {}

    @transition(
        field=state, source=S.APPRAISAL, target=S.APPROVAL, permission=performed_by(Role.SPECIALIST)
    )
    def propose(self, *, actor, at, opinion, assignee=None):
        self.appraisal_opinion = required_text(opinion, "opinion")
        self.handler = assignee
        return {"opinion": self.appraisal_opinion}

    @transition(
        field=state, source=S.APPROVAL, target=S.SIGNING, permission=performed_by(Role.APPROVER)
    )
    def approve(self, *, actor, at, assignee=None):
        self.handler = assignee or actor
        return {}

    @transition(
        field=state, source=S.APPROVAL, target=S.APPRAISAL, permission=performed_by(Role.APPROVER)
    )
    def send_back(self, *, actor, at, reason, assignee=None):
        reason = required_text(reason, "reason")
        self.handler = assignee
        return {"reason": reason}

    @transition(
        field=state,
        source=S.SIGNING,
        target=S.DELIVERY,
        conditions=[result_document_attached],
        permission=performed_by(Role.APPROVER),
    )
    def sign(self, *, actor, at, assignee=None):
        self.result_signed_at = at
        self.result_signed_by = actor
        self.handler = assignee
        return {"result_file": self.result_file_id}

    @transition(
        field=state, source=S.DELIVERY, target=S.COMPLETED, permission=performed_by(Role.CLERK)
    )
    def deliver(self, *, actor, at):
        self._finish(actor, at)
        return {}

    @transition(
        field=state, source=S.INTAKE, target=S.SUPPLEMENT, permission=performed_by(Role.CLERK)
    )
    @transition(
        field=state,
        source=S.APPRAISAL,
        target=S.SUPPLEMENT,
        permission=performed_by(Role.SPECIALIST),
    )
    def request_supplement(self, *, actor, at, reason):
        reason = required_text(reason, "reason")
        self.state_before_supplement = self.state
        self.supplement_count += 1
        self._pause_clock(at)
        return {"reason": reason, "working_days_left": self.working_days_left}

    @transition(
        field=state,
        source=S.SUPPLEMENT,
        target=GET_STATE(_state_before_supplement, states=[S.INTAKE, S.APPRAISAL]),
        permission=performed_by(Role.CLERK, Role.SPECIALIST),
    )
    def resume(self, *, actor, at):
        paused_days = self.working_days_left
        self._resume_clock(at)
        return {"working_days_left": paused_days}

    @transition(
        field=state,
        source=[S.INTAKE, S.APPRAISAL, S.APPROVAL],
        target=S.REJECTED,
        permission=performed_by(Role.SPECIALIST, Role.APPROVER),
    )
    def reject(self, *, actor, at, reason):
        self.decision_reason = required_text(reason, "reason")
        self._finish(actor, at)
        return {"reason": self.decision_reason}

    @transition(
        field=state,
        source=list(OPEN_STATES),
        target=S.WITHDRAWN,
        permission=performed_by(Role.CLERK),
    )
    def withdraw(self, *, actor, at, reason):
        self.decision_reason = required_text(reason, "reason")
        self._finish(actor, at)
        return {"reason": self.decision_reason}


class DigitizationStatus(models.TextChoices):
    PENDING = "pending", _("Not digitized")
    SCANNED = "scanned", _("Scanned")
    REUSED = "reused", _("Reused from digitized data")


class DossierComponent(models.Model):
    """A paper of the dossier, copied from the procedure, and whether it has been digitized."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.CASCADE, related_name="components"
    )
    procedure_component = models.ForeignKey(
        "procedures.ProcedureComponent",
        verbose_name=_("procedure component"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=500)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    status = models.CharField(
        _("digitization"),
        max_length=16,
        choices=DigitizationStatus.choices,
        default=DigitizationStatus.PENDING,
    )
    file = models.ForeignKey(
        "digitization.DigitizedFile",
        verbose_name=_("digitized file"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reused_from = models.CharField(
        _("reused from"),
        max_length=255,
        blank=True,
        help_text=_("Reference of the already digitized document this component reuses."),
    )
    digitized_at = models.DateTimeField(_("digitized at"), null=True, blank=True)
    digitized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("digitized by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("dossier component")
        verbose_name_plural = _("dossier components")
        ordering = ["dossier", "position", "id"]

    def __str__(self):
        return self.name

    @property
    def is_digitized(self) -> bool:
        return self.status != DigitizationStatus.PENDING


class DossierTransition(AppendOnlyModel):
    """One line of a dossier's history: who moved it from which state to which, when and why."""

    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        on_delete=models.PROTECT,
        related_name="transitions",
        db_index=False,  # served by transition_dossier_at_id
    )
    action = models.CharField(_("action"), max_length=32)
    source_state = models.CharField(
        _("from state"), max_length=16, choices=DossierState.choices, blank=True
    )
    target_state = models.CharField(_("to state"), max_length=16, choices=DossierState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("transition log entry")
        verbose_name_plural = _("transition log")
        ordering = ["dossier", "at", "id"]
        # In log order per dossier, so window functions over the log (accountability) need no sort.
        indexes = [models.Index(fields=["dossier", "at", "id"], name="transition_dossier_at_id")]

    def __str__(self):
        return f"{self.get_source_state_display() or '—'} → {self.get_target_state_display()}"


class DossierSequence(models.Model):
    """The last number used in dossier codes per unit and day (codes restart every day)."""

    unit = models.ForeignKey("procedures.Unit", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="dossier_sequence_unit_day")
        ]

    def __str__(self):
        return f"{self.unit_id} {self.day}: {self.last_number}"

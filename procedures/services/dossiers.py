"""The only code that writes dossiers. One function per action, each all or nothing.

Every transition goes through the engine (core.engine, with the registry DOSSIER_MACHINE): it
checks role, unit, state and conditions, applies the django-fsm transition, and saves the
columns that changed with the version check and the DossierTransition row in one statement.
"""

from collections.abc import Callable, Mapping
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures import authorization
from procedures.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from procedures.models import (
    ATTACH_RESULT,
    DOSSIER_MACHINE,
    Channel,
    Dossier,
    DossierComponent,
    DossierSequence,
    DossierState,
    DossierTransition,
    NoticeKind,
    Procedure,
    Role,
    Unit,
    User,
)
from procedures.services.notices import notify_citizen

APPLICANT_FIELDS = ("full_name", "id_number", "phone", "email", "address")


# --- creating a dossier ---------------------------------------------------------------------


def create_dossier(
    *,
    actor: User,
    procedure: Procedure,
    unit: Unit,
    channel: str,
    applicant: Mapping[str, str],
    received_at: datetime | None = None,
    at: datetime | None = None,
) -> Dossier:
    """Register a dossier. Counter and postal dossiers are accepted at once; online ones wait."""
    at = at or timezone.now()
    _check_may_create(actor=actor, unit=unit)
    _check_new_dossier(
        actor=actor, procedure=procedure, unit=unit, channel=channel, received_at=received_at, at=at
    )
    full_name = (applicant.get("full_name") or "").strip()
    if not full_name:
        raise InvalidInput(fields={"applicant": {"full_name": [_("This field is required.")]}})
    received_at = received_at or at

    with transaction.atomic():
        dossier = Dossier(
            code=_next_code(unit=unit, received_at=received_at),
            procedure=procedure,
            unit=unit,
            channel=channel,
            received_at=received_at,
            created_by=actor,
            state=DossierState.SUBMITTED if channel == Channel.ONLINE else DossierState.INTAKE,
            **{
                f"applicant_{name}": (applicant.get(name) or "").strip()
                for name in APPLICANT_FIELDS
            },
        )
        if dossier.state == DossierState.INTAKE:
            dossier.start_clock(received_at)
            dossier.handler = actor
        dossier.save()
        DossierComponent.objects.bulk_create(
            DossierComponent(
                dossier=dossier,
                procedure_component=component,
                name=component.name,
                required=component.required,
                position=component.position,
            )
            for component in procedure.components.all()
        )
        DossierTransition.objects.create(
            dossier=dossier,
            action="create",
            source_state="",
            target_state=dossier.state,
            actor=actor,
            at=at,
            payload={"channel": channel, "received_at": received_at.isoformat()},
        )
        if dossier.state == DossierState.INTAKE:
            notify_citizen(dossier=dossier, kind=NoticeKind.RECEIPT, at=at)
    return dossier


def _check_may_create(*, actor: User, unit: Unit) -> None:
    authorization.require(
        actor,
        roles={Role.CLERK},
        unit=unit.pk,
        role_message=_("Only one-stop clerks and administrators register dossiers."),
        unit_message=_("You may only register dossiers for your own unit."),
    )


def _check_new_dossier(*, actor, procedure, unit, channel, received_at, at) -> None:
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if not unit.active:
        errors["unit"] = [_("This unit is no longer active.")]
    if not procedure.active:
        errors["procedure"] = [_("This procedure is no longer in the catalogue.")]
    elif not procedure.units.filter(pk=unit.pk).exists():
        errors["procedure"] = [_("This unit does not handle this procedure.")]
    if received_at is not None:
        if not actor.is_admin:
            raise ActionForbidden(_("Only administrators may give the time of receipt."))
        if received_at > at:
            errors["received_at"] = [_("The time of receipt cannot be in the future.")]
    if errors:
        raise InvalidInput(fields=errors)


def _next_code(*, unit: Unit, received_at: datetime) -> str:
    """`{unit code}-{yyMMdd}-{NNNN}`; the upsert takes a row lock, so concurrent callers queue."""
    day = timezone.localtime(received_at).date()
    table = connection.ops.quote_name(DossierSequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (unit_id, day, last_number) VALUES (%s, %s, 1) "
            f"ON CONFLICT (unit_id, day) DO UPDATE SET last_number = {table}.last_number + 1 "
            "RETURNING last_number",
            [unit.pk, day],
        )
        (number,) = cursor.fetchone()
    return f"{unit.code}-{day:%y%m%d}-{number:04d}"


# --- transitions ----------------------------------------------------------------------------


def perform_transition(
    *,
    dossier: Dossier,
    actor: User,
    action: str,
    note: str = "",
    at: datetime | None = None,
    **arguments,
) -> Dossier:
    """Apply transition `action` for `actor`; returns the dossier as saved (core.engine).

    `dossier` is the copy the caller looked at; the checks run on it, and the UPDATE that
    saves the result only matches the row if its version is still the one read. The UPDATE
    takes the row lock, so of two concurrent actions the second waits, finds the version
    changed, and raises ConcurrentChange. Conditions (digitized components, the result
    document) only ever become true, so checking them before the lock is safe.
    The caller's copy is never modified; the returned one is.
    """
    return DOSSIER_MACHINE.apply(
        obj=dossier, actor=actor, action=action, note=note, at=at, **arguments
    )


def record_change(*, dossier_id: int) -> None:
    """Note that something of the dossier changed (a component digitized, a rating given), so
    that the incremental metrics read it again."""
    Dossier.objects.filter(pk=dossier_id).update()


def attach_result_file(
    *, dossier: Dossier, actor: User, store: Callable, at: datetime | None = None
) -> Dossier:
    """Attach the result document (to be signed at step 4); `store()` stores and returns it.

    Specialists and approvers of the unit, at approval or signing. Saved like a transition
    (core.engine.record): only if the dossier is still at the version the caller read
    (ConcurrentChange otherwise), with the version raised, `updated_at` moved and an
    `attach_result` row in the log (the state stays), in one statement.
    """
    if not authorization.may_act(
        actor, roles={Role.SPECIALIST, Role.APPROVER}, unit=dossier.unit_id
    ):
        raise ActionForbidden()
    if dossier.state not in (DossierState.APPROVAL, DossierState.SIGNING):
        raise TransitionNotAllowed(
            _("The result document is attached at approval or signing only.")
        )
    with transaction.atomic():
        stored = store()
        attached = DOSSIER_MACHINE.record(
            obj=dossier,
            actor=actor,
            action=ATTACH_RESULT,
            changes={"result_file_id": stored.pk},
            at=at,
            payload={"result_file": stored.pk},
        )
    attached.result_file = stored
    return attached


def accept_dossier(*, dossier, actor, assignee=None, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="accept", assignee=assignee, note=note, at=at
    )


def refuse_dossier(*, dossier, actor, reason, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="refuse", reason=reason, note=note, at=at
    )


def forward_dossier(*, dossier, actor, assignee=None, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="forward", assignee=assignee, note=note, at=at
    )


def propose_decision(*, dossier, actor, opinion, assignee=None, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier,
        actor=actor,
        action="propose",
        opinion=opinion,
        assignee=assignee,
        note=note,
        at=at,
    )


def approve_dossier(*, dossier, actor, assignee=None, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="approve", assignee=assignee, note=note, at=at
    )


def send_back_dossier(*, dossier, actor, reason, assignee=None, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier,
        actor=actor,
        action="send_back",
        reason=reason,
        assignee=assignee,
        note=note,
        at=at,
    )


def sign_result(*, dossier, actor, assignee=None, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="sign", assignee=assignee, note=note, at=at
    )


def deliver_result(*, dossier, actor, note="", at=None) -> Dossier:
    return perform_transition(dossier=dossier, actor=actor, action="deliver", note=note, at=at)


def request_supplement(*, dossier, actor, reason, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="request_supplement", reason=reason, note=note, at=at
    )


def resume_dossier(*, dossier, actor, note="", at=None) -> Dossier:
    return perform_transition(dossier=dossier, actor=actor, action="resume", note=note, at=at)


def reject_dossier(*, dossier, actor, reason, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="reject", reason=reason, note=note, at=at
    )


def withdraw_dossier(*, dossier, actor, reason, note="", at=None) -> Dossier:
    return perform_transition(
        dossier=dossier, actor=actor, action="withdraw", reason=reason, note=note, at=at
    )

"""The only code that writes dossiers. One function per action, each in one transaction.

Every action locks the dossier row, checks role, unit, state and conditions, applies the
django-fsm transition, saves, and appends a DossierTransition row. A failure at any point
leaves nothing behind.
"""

import copy
import functools
from collections.abc import Mapping
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures.errors import (
    ActionForbidden,
    ConcurrentChange,
    ConditionNotMet,
    InvalidInput,
    TransitionNotAllowed,
)
from procedures.models import (
    TRANSITION_FIELDS,
    TRANSITION_NAMES,
    Channel,
    Dossier,
    DossierComponent,
    DossierSequence,
    DossierState,
    DossierTransition,
    Notice,
    NoticeKind,
    Procedure,
    Role,
    Unit,
    User,
)
from procedures.scoping import may_process_in
from procedures.services.notices import citizen_notice_row, notify_citizen, queue_delivery

APPLICANT_FIELDS = ("full_name", "id_number", "phone", "email", "address")
# Foreign keys compared by id, so that checking what changed loads nothing.
TRANSITION_ATTNAMES = tuple(Dossier._meta.get_field(name).attname for name in TRANSITION_FIELDS)

# Who may be named as the next handler when a dossier is handed over.
ASSIGNEE_ROLES = {
    "accept": Role.CLERK,
    "forward": Role.SPECIALIST,
    "propose": Role.APPROVER,
    "approve": Role.APPROVER,
    "send_back": Role.SPECIALIST,
    "sign": Role.CLERK,
}


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
    if not (actor.is_admin or (actor.effective_role == Role.CLERK and actor.is_active)):
        raise ActionForbidden(_("Only one-stop clerks and administrators register dossiers."))
    if not may_process_in(actor, unit.pk):
        raise ActionForbidden(_("You may only register dossiers for your own unit."))


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
    """Apply transition `action` for `actor`; returns the dossier as saved.

    `dossier` is the copy the caller looked at; the checks run on it, and the UPDATE that
    saves the result only matches the row if its version is still the one read. The UPDATE
    takes the row lock, so of two concurrent actions the second waits, finds the version
    changed, and raises ConcurrentChange. Conditions (digitized components, the result
    document) only ever become true, so checking them before the lock is safe.
    The caller's copy is never modified; the returned one is.
    """
    if action not in TRANSITION_NAMES:
        raise InvalidInput(fields={"action": [_("Unknown action.")]})
    at = at or timezone.now()
    assignee = arguments.get("assignee")
    current = copy.copy(dossier)
    method = getattr(current, action)
    rule = method._django_fsm.get_transition(current.state)
    _check_role(actor=actor, method=method)
    if rule is None:
        raise TransitionNotAllowed()
    if not rule.has_perm(current, actor):
        if actor.effective_role not in rule.permission.roles:
            raise ActionForbidden(_("Your role may not do this at this step."))
        raise ActionForbidden(_("You may not act on dossiers of this unit."))
    for check in rule.conditions:
        if not check(current):
            raise ConditionNotMet(check.error_message, code=check.error_code)
    if assignee is not None:
        _check_assignee(assignee=assignee, dossier=current, action=action)
    source = current.state
    before = [getattr(current, name) for name in TRANSITION_ATTNAMES]
    payload = method(actor=actor, at=at, **arguments)
    changes = {
        name: getattr(current, name)
        for name, old in zip(TRANSITION_ATTNAMES, before, strict=True)
        if getattr(current, name) != old
    }
    current.version = dossier.version + 1
    current.updated_at = timezone.now()
    changes.update(version=current.version, updated_at=current.updated_at)
    notice = citizen_notice_row(action=action, dossier=current, at=at)
    saved = _save_transition(
        dossier_id=dossier.pk,
        expected_version=dossier.version,
        changes=changes,
        log={
            "action": action,
            "source_state": source,
            "target_state": current.state,
            "actor_id": actor.pk,
            "at": at,
            "note": note,
            "payload": payload or {},
        },
        notice=notice,
    )
    if not saved:
        raise ConcurrentChange()
    if notice is not None:
        queue_delivery(notice["id"])
    return current


def _save_transition(*, dossier_id, expected_version, changes, log, notice=None) -> bool:
    """Write the changed columns and the log entry, only if the version is still the one read.

    On PostgreSQL this is one statement (an UPDATE ... RETURNING feeding the INSERT), hence one
    transaction and one round trip: the UPDATE takes the row lock, and a concurrent writer that
    got there first leaves it nothing to update, so no log row is written either. Elsewhere the
    two statements run in one transaction. A `notice` to the citizen (column values of a
    Notice) is inserted the same way, in the same statement or transaction.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the thread's connection, looked up once
    dossier_table, log_table, notice_table = (
        db.ops.quote_name(model._meta.db_table) for model in (Dossier, DossierTransition, Notice)
    )
    set_columns, set_values = _prepared(Dossier, changes, db)
    log_columns, log_values = _prepared(DossierTransition, {"dossier_id": dossier_id, **log}, db)
    notice_columns, notice_values = (
        _prepared(Notice, {"dossier_id": dossier_id, **notice}, db) if notice else ([], [])
    )
    assignments = ", ".join(f"{column} = %s" for column in set_columns)
    update = f"UPDATE {dossier_table} SET {assignments} WHERE id = %s AND version = %s"
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # the dossier id comes from the UPDATE, so only rows it matched are inserted
            noticed = (
                f", noticed AS (INSERT INTO {notice_table} ({', '.join(notice_columns)}) "
                f"SELECT id, {', '.join(['%s'] * (len(notice_values) - 1))} FROM moved)"
                if notice
                else ""
            )
            cursor.execute(
                f"WITH moved AS ({update} RETURNING id){noticed} "
                f"INSERT INTO {log_table} ({', '.join(log_columns)}) "
                f"SELECT id, {', '.join(['%s'] * (len(log_values) - 1))} FROM moved",
                [*set_values, dossier_id, expected_version, *notice_values[1:], *log_values[1:]],
            )
            return cursor.rowcount == 1
        with transaction.atomic(using=db.alias):
            cursor.execute(update, [*set_values, dossier_id, expected_version])
            if cursor.rowcount != 1:
                return False
            for table, columns, values in (
                (log_table, log_columns, log_values),
                (notice_table, notice_columns, notice_values),
            ):
                if columns:
                    cursor.execute(
                        f"INSERT INTO {table} ({', '.join(columns)}) "
                        f"VALUES ({', '.join(['%s'] * len(columns))})",
                        values,
                    )
        return True


def _prepared(model, values: dict, db) -> tuple[list[str], list]:
    """Quoted column names and driver-ready values for `values` keyed by attname."""
    columns, params = [], []
    for name, value in values.items():
        field, column = _column(model, name, db.vendor)
        columns.append(column)
        params.append(field.get_db_prep_save(value, db))
    return columns, params


@functools.cache
def _column(model, attname: str, vendor: str):
    field = model._meta.get_field(attname)
    return field, connections[DEFAULT_DB_ALIAS].ops.quote_name(field.column)


def _check_role(*, actor: User, method) -> None:
    if actor.is_admin:
        return
    roles = set()
    for rule in method._django_fsm.transitions.values():
        roles |= rule.permission.roles
    if not actor.is_active or actor.effective_role not in roles:
        raise ActionForbidden(_("Your role may not do this."))


def _check_assignee(*, assignee: User, dossier: Dossier, action: str) -> None:
    role = ASSIGNEE_ROLES.get(action)
    if (
        role is None
        or not assignee.is_active
        or assignee.effective_role != role
        or not may_process_in(assignee, dossier.unit_id)
    ):
        raise InvalidInput(
            fields={"assignee": [_("The person named cannot take the dossier at this step.")]}
        )


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

"""The transition engine: the one place that applies a django-fsm transition and saves it.

`apply` checks the action (role, state, permission, conditions), calls the transition method on
a copy, compares the copy before and after to find the columns that changed, and writes exactly
those (with the version check where the model keeps one) together with the log row and any
other row the machine owes (a citizen's notice): on PostgreSQL as one statement, elsewhere as
statements in one transaction. It is also the only code reading django-fsm's internals.
"""

import contextlib
import datetime
import functools
import uuid

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import (
    ActionForbidden,
    ConcurrentChange,
    ConditionNotMet,
    InvalidInput,
    TransitionNotAllowed,
)
from core.rows import prepared_cursor

# One statement on PostgreSQL; a test turns it off to exercise the transaction of the other path.
ONE_STATEMENT_ON_POSTGRESQL = True


# --- reading django-fsm -----------------------------------------------------------------------


def declared_rules(model, name: str) -> list:
    """The django-fsm transitions (one per source state) declared by method `name`."""
    return list(getattr(model, name)._django_fsm.transitions.values())


def declared_actions(model, field_name: str) -> dict[str, set[tuple[str, str]]]:
    """Every transition method of `model` on `field_name`: name → {(source, target)}."""
    found = {}
    for klass in reversed(model.__mro__):
        for name, member in vars(klass).items():
            meta = getattr(member, "_django_fsm", None)
            if meta is None or meta.field.name != field_name:
                continue
            found[name] = {
                (str(rule.source), str(rule.target)) for rule in meta.transitions.values()
            }
    return found


def rule_for(machine, obj, name: str):
    """The transition `name` declares from the current state of `obj`, or None."""
    return getattr(type(obj), name)._django_fsm.get_transition(getattr(obj, machine.field))


def _permission_refusal(rule, obj, user):
    permission = rule.permission
    if permission is None:
        return None
    explain = getattr(permission, "refusal", None)
    if explain is not None:
        return explain(obj, user)
    if rule.has_perm(obj, user):
        return None
    return getattr(permission, "message", None) or _("You are not allowed to do this.")


# --- asking -------------------------------------------------------------------------------------


def refusal(machine, obj, user, name: str):
    """The error `apply` would raise before acting, or None when `user` may do `name` now."""
    if machine.gate is not None:
        error = machine.gate(obj, user, name)
        if error is not None:
            return error
    rule = rule_for(machine, obj, name)
    if rule is None:
        return TransitionNotAllowed(machine.not_allowed)
    message = _permission_refusal(rule, obj, user)
    if message is not None:
        return ActionForbidden(message)
    for check in rule.conditions:
        if not check(obj):
            return ConditionNotMet(check.error_message, code=check.error_code)
    return None


# --- acting -------------------------------------------------------------------------------------


def apply(machine, *, obj, actor, action, note="", at=None, **arguments):
    """Apply transition `action` of `machine` to `obj` for `actor`; returns the object as saved.

    Machines without a lock check the copy the caller looked at and save only if the row's
    version is still the one read (ConcurrentChange otherwise); the caller's copy is never
    modified. Machines with a lock re-read the row locked, in the transaction.
    """
    if action not in machine.by_name:
        raise InvalidInput(fields={"action": [_("Unknown action.")]})
    at = at or timezone.now()
    locking = machine.lock is not None
    with transaction.atomic() if locking else contextlib.nullcontext():
        current = machine.lock(obj) if locking else _copy(obj)
        error = refusal(machine, current, actor, action)
        if error is not None:
            raise error
        if machine.check_arguments is not None:
            machine.check_arguments(current, actor, action, arguments)
        source = getattr(current, machine.field)
        # The loaded columns as stored on the instance (what each field's attribute returns,
        # without calling it): a column not loaded is not read, and counts as changed if set.
        loaded = current.__dict__
        attnames = _attnames(type(current))
        before = [loaded.get(name, _NOT_LOADED) for name in attnames]
        if machine.note_argument:
            arguments["note"] = note
        payload = getattr(current, action)(actor=actor, at=at, **arguments) or {}
        changes = {
            name: loaded[name]
            for name, old in zip(attnames, before, strict=True)
            if loaded.get(name, _NOT_LOADED) != old
        }
        rows = _save(
            machine,
            obj=obj,
            current=current,
            changes=changes,
            action=action,
            source=source,
            actor=actor,
            at=at,
            note=note,
            payload=payload,
        )
    if machine.after_commit is not None:
        machine.after_commit(rows)
    return current


def record(machine, *, obj, actor, action, changes, note="", at=None, payload=None):
    """Save `changes` (by attname) to `obj` as an action of `machine` that leaves the state as it
    is (attaching a document): logged like a transition (source and target the current state),
    with the version check and `updated_at` moved, in one statement. Returns the object as saved;
    the caller's copy is never modified. The caller checks who may do it first.
    """
    if action not in machine.records:
        raise InvalidInput(fields={"action": [_("Unknown action.")]})
    at = at or timezone.now()
    current = _copy(obj)
    for name, value in changes.items():
        setattr(current, name, value)
    state = getattr(current, machine.field)
    rows = _save(
        machine,
        obj=obj,
        current=current,
        changes=dict(changes),
        action=action,
        source=state,
        actor=actor,
        at=at,
        note=note,
        payload=payload or {},
    )
    if machine.after_commit is not None:
        machine.after_commit(rows)
    return current


def _save(machine, *, obj, current, changes, action, source, actor, at, note, payload) -> list:
    """Write `changes` of `current` with the version check (against the caller's copy `obj`),
    `updated_at`, the log row and the machine's other rows; returns the rows written."""
    expected_version = None
    if machine.version_field:
        expected_version = getattr(obj, machine.version_field)
        setattr(current, machine.version_field, expected_version + 1)
        changes[machine.version_field] = expected_version + 1
    if machine.touched_field:
        setattr(current, machine.touched_field, timezone.now())
        changes[machine.touched_field] = getattr(current, machine.touched_field)
    rows = [
        machine.log(
            obj=current,
            action=action,
            source=source,
            target=getattr(current, machine.field),
            actor=actor,
            at=at,
            note=note,
            payload=payload,
        ),
        *(machine.extra_rows(current, action, at) if machine.extra_rows else ()),
    ]
    saved = write(
        type(current),
        pk=current.pk,
        changes=changes,
        version_field=machine.version_field,
        expected_version=expected_version,
        rows=rows,
    )
    if not saved:
        raise ConcurrentChange()
    return rows


_NOT_LOADED = object()


def _copy(obj):
    """A copy of model instance `obj` to apply a transition to: what `copy.copy` gives (its own
    attributes, state and cache of related objects; the related objects themselves shared),
    without the pickling protocol `copy.copy` goes through."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    state = object.__new__(type(obj._state))
    state.__dict__.update(obj._state.__dict__)
    state.fields_cache = dict(obj._state.fields_cache)
    new._state = state
    return new


@functools.cache
def _attnames(model) -> tuple[str, ...]:
    """Every column but the key, foreign keys by id (so comparing loads nothing)."""
    return tuple(f.attname for f in model._meta.concrete_fields if not f.primary_key)


def write(model, *, pk, changes, rows, version_field=None, expected_version=None) -> bool:
    """Write `changes` (by attname) to the row `pk` and insert `rows` ((model, values) pairs),
    only if the row is still at `expected_version`; False if it was not.

    On PostgreSQL this is one statement (an UPDATE ... RETURNING feeding each INSERT), hence one
    transaction and one round trip: the UPDATE takes the row lock, and a concurrent writer that
    got there first leaves it nothing to update, so no other row is written either. Elsewhere
    the statements run in one transaction.
    """
    db = connections[DEFAULT_DB_ALIAS]  # the thread's connection, looked up once
    columns, values = _prepared(model, changes, db)
    where = f"{_column(model, model._meta.pk.attname, db)[1]} = %s"
    params = [*values, pk]
    if version_field is not None:
        where += f" AND {_column(model, version_field, db)[1]} = %s"
        params.append(expected_version)
    assignments = ", ".join(f"{column} = %s" for column in columns)
    update = f"UPDATE {_table(model, db)} SET {assignments} WHERE {where}"
    inserts = [(_table(row_model, db), *_prepared(row_model, row, db)) for row_model, row in rows]
    with prepared_cursor(db) as cursor:
        if db.vendor == "postgresql" and ONE_STATEMENT_ON_POSTGRESQL:
            parts = [f"moved AS ({update} RETURNING 1)"]
            # Bound on the server, a value in a SELECT list has no type but the one cast here.
            statements = [
                f"INSERT INTO {_table(row_model, db)} ({', '.join(cols)}) "
                f"SELECT {', '.join(_casts(row_model, row, db))} FROM moved"
                for (row_model, row), (_table_name, cols, _vals) in zip(rows, inserts, strict=True)
            ]
            parts += [f"row{i} AS ({sql})" for i, sql in enumerate(statements[1:])]
            cursor.execute(
                f"WITH {', '.join(parts)} {statements[0]}",
                [*params, *(v for *_head, vals in inserts[1:] for v in vals), *inserts[0][2]],
            )
            return cursor.rowcount == 1
        with transaction.atomic(using=db.alias):
            cursor.execute(update, params)
            if cursor.rowcount != 1:
                return False
            for table, cols, vals in inserts:
                cursor.execute(
                    f"INSERT INTO {table} ({', '.join(cols)}) "
                    f"VALUES ({', '.join(['%s'] * len(cols))})",
                    vals,
                )
        return True


def _prepared(model, values: dict, db) -> tuple[list[str], list]:
    """Quoted column names and driver-ready values for `values` keyed by attname."""
    columns, params = [], []
    for name, value in values.items():
        field, column, ready = _cached_column(model, name, db.vendor)
        columns.append(column)
        kind = type(value)
        if kind in ready and (kind is not datetime.datetime or value.tzinfo is not None):
            params.append(value)
        else:
            params.append(field.get_db_prep_save(value, db))
    return columns, params


def _ready_types(field, vendor: str) -> tuple:
    """The Python types `field` gives the driver unchanged (its get_db_prep_save returns such a
    value as it is): a transition's few values skip the field's conversions. A foreign key's are
    its target's; a field class overriding a conversion has none. On PostgreSQL a time zone
    aware datetime and a UUID go as they are (a naive datetime is converted, with its warning).
    """
    from django.db import models

    ready = {
        models.CharField: (str,),
        models.TextField: (str,),
        models.BooleanField: (bool,),
        models.IntegerField: (int,),
        models.BigIntegerField: (int,),
        models.SmallIntegerField: (int,),
        models.PositiveIntegerField: (int,),
        models.PositiveSmallIntegerField: (int,),
        models.AutoField: (int,),
        models.BigAutoField: (int,),
    }
    if vendor == "postgresql":
        ready.update({models.DateTimeField: (datetime.datetime,), models.UUIDField: (uuid.UUID,)})
    if field.many_to_one and type(field).get_db_prep_save is models.ForeignKey.get_db_prep_save:
        field = field.target_field
    for base, types in ready.items():
        if isinstance(field, base) and all(
            getattr(type(field), name) is getattr(base, name)
            for name in ("get_db_prep_save", "get_db_prep_value", "get_prep_value", "to_python")
        ):
            return types
    return ()


def _casts(model, values: dict, db) -> list[str]:
    """`CAST(%s AS type)` for each of `values`, in their order."""
    return [_cast(model, name, db.vendor) for name in values]


@functools.cache
def _cast(model, attname: str, vendor: str) -> str:
    field = model._meta.get_field(attname)
    return f"CAST(%s AS {field.cast_db_type(connections[DEFAULT_DB_ALIAS])})"


def _column(model, attname: str, db):
    return _cached_column(model, attname, db.vendor)[:2]


@functools.cache
def _cached_column(model, attname: str, vendor: str):
    """The field of `attname`, its quoted column and the value types it passes on unchanged."""
    field = model._meta.get_field(attname)
    quoted = connections[DEFAULT_DB_ALIAS].ops.quote_name(field.column)
    return field, quoted, _ready_types(field, vendor)


def _table(model, db) -> str:
    return db.ops.quote_name(model._meta.db_table)

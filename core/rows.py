"""Model instances from a row of a fixed, hand-written SELECT: what the ORM's select_related
gives, without compiling the query on every call.

A hot read (one dossier for a request, the token of a request) asks the same question every
time; building the SQL with the ORM costs more CPU than the database spends answering it. Such a
read writes its SQL once from the models' columns (`select_list`) and turns each row into the same
instances the ORM would (`Joined.build`: the backend's and the fields' converters applied,
`Model.from_db`), so the rest of the code cannot tell.
"""

import functools


def select_list(models, quote) -> str:
    """`alias.column, ...` of every concrete field of each (model, alias), in field order."""
    return ", ".join(
        f"{alias}.{quote(field.column)}"
        for model, alias in models
        for field in model._meta.concrete_fields
    )


class Joined:
    """Turns a row selected with `select_list(models)` into one instance per model (None where
    an outer join found no row)."""

    def __init__(self, models):
        self.models = models
        self.layout = None

    def _prepare(self, connection):
        layout = []
        for model, alias in self.models:
            fields = model._meta.concrete_fields
            converters = []
            for index, field in enumerate(fields):
                column = field.get_col(alias)
                found = connection.ops.get_db_converters(column) + field.get_db_converters(
                    connection
                )
                if found:
                    converters.append((index, column, found))
            key = [f.primary_key for f in fields].index(True)
            layout.append((model, [f.attname for f in fields], key, converters, _plain(model)))
        return layout

    def build(self, row, connection) -> list:
        if self.layout is None:
            self.layout = self._prepare(connection)
        built, start = [], 0
        for model, attnames, key, converters, plain in self.layout:
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            if values[key] is None:  # outer join without a row
                built.append(None)
                continue
            for index, column, found in converters:
                for convert in found:
                    values[index] = convert(values[index], column, connection)
            if plain:
                built.append(_instance(model, connection.alias, attnames, values))
            else:
                built.append(model.from_db(connection.alias, attnames, values))
        return built


def _plain(model) -> bool:
    """Whether `Model.from_db` of `model` amounts to filling its attributes: neither
    `__init__` nor `from_db` overridden, no receiver of pre_init or post_init, and every field's
    attribute one that stores a value set as it is (not a state field that changes the class)."""
    from django.db.models import Model, signals
    from django.db.models.fields.files import FileDescriptor
    from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
    from django.db.models.query_utils import DeferredAttribute

    storing = (DeferredAttribute, ForeignKeyDeferredAttribute, FileDescriptor)
    for field in model._meta.concrete_fields:
        if getattr(field, "state_proxy", None) == {}:
            continue  # a django-fsm state field without proxy classes: its attribute stores
        if type(getattr(model, field.attname, None)) not in storing:
            return False
    return (
        model.__init__ is Model.__init__
        and model.from_db.__func__ is Model.from_db.__func__
        and not signals.pre_init.has_listeners(model)
        and not signals.post_init.has_listeners(model)
    )


def _instance(model, alias, attnames, values):
    """What `model.from_db(alias, attnames, values)` returns for a model that is `_plain`, every
    field loaded: `Model.__init__` sets each attribute through its descriptor, which for a loaded
    value only stores it in the instance's dict (a third of a hot read's CPU)."""
    from django.db.models.base import ModelState

    instance = model.__new__(model)
    state = ModelState()
    state.adding, state.db = False, alias
    instance.__dict__["_state"] = state
    instance.__dict__.update(zip(attnames, values, strict=True))
    return instance


# --- prepared statements for the hot paths -------------------------------------------------------


def prepared_cursor(connection):
    """A cursor (Django's wrapper: query logging and execute wrappers apply) whose statements
    PostgreSQL parses and plans once per connection and then only executes.

    Django's cursors bind parameters on the client: each call sends the whole text, which the
    server parses and plans again; for the fixed statements of a hot path (one dossier for a
    request, a transition's write) that planning costs more than running them. Elsewhere, or
    behind a pooler that cannot keep prepared statements (DATABASE_PGBOUNCER sets
    `prepare_threshold` to None), the ordinary cursor. Parameters are bound on the server, so a
    value whose type the statement does not fix (a SELECT list) needs a CAST in the SQL.

    The cursor itself is made once per database connection and kept (closing the wrapper leaves
    it open): a hot path runs one or two statements, and making a cursor costs about as much.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        return connection.cursor()
    cursor = getattr(connection, "_kept_prepared_cursor", None)
    if cursor is None or cursor.connection is not raw:
        with connection.wrap_database_errors:
            cursor = _prepared_cursor_class()(raw)
            _use_connection_timezone(connection, cursor)
        connection._kept_prepared_cursor = cursor
    return connection._prepare_cursor(cursor)


_cursor_class = None


def _use_connection_timezone(connection, cursor) -> None:
    """As Django's own cursors: times read in the connection's time zone.

    When that zone is UTC and so is the session's (Django sets the session's to it), psycopg's
    own loader gives the same values as Django's, in C: a dossier row holds a dozen times.
    """
    import datetime

    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    raw = connection.connection
    oid = raw.adapters.types["timestamptz"].oid
    if (
        connection.timezone is datetime.UTC
        and raw.pgconn.parameter_status(b"TimeZone") == b"UTC"
    ):
        cursor.adapters.register_loader(oid, _psycopg_loader(oid))
    elif connection.timezone != raw.adapters.get_loader(oid, Format.TEXT).timezone:
        register_tzloader(connection.timezone, cursor)


@functools.cache
def _psycopg_loader(oid):
    import psycopg
    from psycopg.pq import Format

    return psycopg.adapters.get_loader(oid, Format.TEXT)


def _prepared_cursor_class():
    global _cursor_class
    if _cursor_class is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparedCursor(ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=True, **kwargs):
                return super().execute(query, params, prepare=prepare, **kwargs)

            def close(self):
                # Kept for the connection's life (prepared_cursor): only its last result goes.
                self._reset()

            def _send_query_prepared(self, name, pgq, *, binary=None):
                # Keep the statement run, as psycopg does for one it does not prepare: Django's
                # query log (DEBUG, tests) reads it from there.
                self._query = pgq
                return super()._send_query_prepared(name, pgq, binary=binary)

        _cursor_class = PreparedCursor
    return _cursor_class

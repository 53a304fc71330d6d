"""Model instances from a row of a fixed, hand-written SELECT: what the ORM's select_related
gives, without compiling the query on every call.

A hot read (one dossier for a request, the token of a request) asks the same question every
time; building the SQL with the ORM costs more CPU than the database spends answering it. Such a
read writes its SQL once from the models' columns (`select_list`) and turns each row into the same
instances the ORM would (`Joined.build`: the backend's and the fields' converters applied,
`Model.from_db`), so the rest of the code cannot tell.
"""


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
            layout.append((model, [f.attname for f in fields], key, converters))
        return layout

    def build(self, row, connection) -> list:
        if self.layout is None:
            self.layout = self._prepare(connection)
        built, start = [], 0
        for model, attnames, key, converters in self.layout:
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            if values[key] is None:  # outer join without a row
                built.append(None)
                continue
            for index, column, found in converters:
                for convert in found:
                    values[index] = convert(values[index], column, connection)
            built.append(model.from_db(connection.alias, attnames, values))
        return built


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
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        return connection.cursor()
    with connection.wrap_database_errors:
        cursor = _prepared_cursor_class()(connection.connection)
        _use_connection_timezone(connection, cursor)
        return connection._prepare_cursor(cursor)


_cursor_class = None


def _use_connection_timezone(connection, cursor) -> None:
    """As Django's own cursors: times read in the connection's time zone."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    oid = connection.connection.adapters.types["timestamptz"].oid
    if connection.timezone != connection.connection.adapters.get_loader(oid, Format.TEXT).timezone:
        register_tzloader(connection.timezone, cursor)


def _prepared_cursor_class():
    global _cursor_class
    if _cursor_class is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparedCursor(ServerBindingCursor):
            def execute(self, query, params=None, *, prepare=True, **kwargs):
                return super().execute(query, params, prepare=prepare, **kwargs)

            def _send_query_prepared(self, name, pgq, *, binary=None):
                # Keep the statement run, as psycopg does for one it does not prepare: Django's
                # query log (DEBUG, tests) reads it from there.
                self._query = pgq
                return super()._send_query_prepared(name, pgq, binary=binary)

        _cursor_class = PreparedCursor
    return _cursor_class

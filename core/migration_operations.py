"""Index operations that do not block writes: CREATE/DROP INDEX CONCURRENTLY on PostgreSQL, the
plain operation elsewhere (SQLite, for development). A migration using them sets
`atomic = False`, since PostgreSQL cannot build an index concurrently inside a transaction.

A partitioned table (the transition log on PostgreSQL, procedures.partitions) cannot be indexed
concurrently: the plain operation runs there, building the index partition by partition under a
lock that blocks writes to the log meanwhile."""

from django.contrib.postgres import operations as postgres
from django.db import migrations


class _OnPostgreSQL:
    plain = None

    def _concurrently(self, app_label, schema_editor, state) -> bool:
        if schema_editor.connection.vendor != "postgresql":
            return False
        table = state.apps.get_model(app_label, self.model_name)._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
            row = cursor.fetchone()
        return not (row and row[0] == "p")

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._concurrently(app_label, schema_editor, to_state):
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._concurrently(app_label, schema_editor, to_state):
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_OnPostgreSQL, postgres.AddIndexConcurrently):
    plain = migrations.AddIndex


class RemoveIndexConcurrently(_OnPostgreSQL, postgres.RemoveIndexConcurrently):
    plain = migrations.RemoveIndex


def run_on_postgresql(statements: list[str], reverse: list[str]) -> migrations.RunPython:
    """SQL run on PostgreSQL only (what exists only there: extensions, trigram indexes,
    statistics targets), `reverse` when migrating back; nothing elsewhere."""

    def runner(sql):
        def run(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                for statement in sql:
                    schema_editor.execute(statement)

        return run

    return migrations.RunPython(runner(statements), runner(reverse))

"""Index operations that do not block writes: CREATE/DROP INDEX CONCURRENTLY on PostgreSQL, the
plain operation elsewhere (SQLite, for development). A migration using them sets
`atomic = False`, since PostgreSQL cannot build an index concurrently inside a transaction."""

from django.contrib.postgres import operations as postgres
from django.db import migrations


class _OnPostgreSQL:
    plain = None

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrently(_OnPostgreSQL, postgres.AddIndexConcurrently):
    plain = migrations.AddIndex


class RemoveIndexConcurrently(_OnPostgreSQL, postgres.RemoveIndexConcurrently):
    plain = migrations.RemoveIndex

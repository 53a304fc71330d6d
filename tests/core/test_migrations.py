"""Index changes on the dossier and log tables never block writes on PostgreSQL."""

import pytest
from django.db import connection
from django.db.migrations import AddIndex, RemoveIndex
from django.db.migrations.loader import MigrationLoader

from core.migration_operations import AddIndexConcurrently, RemoveIndexConcurrently

BUSY_TABLES = {"dossier", "dossiertransition"}


@pytest.mark.django_db
def test_index_changes_on_busy_tables_are_concurrent_and_outside_a_transaction():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    checked = 0
    for (app, name), migration in loader.disk_migrations.items():
        if app != "procedures" or name.startswith("0001"):
            continue  # the initial migration creates the tables empty
        for operation in migration.operations:
            if not isinstance(operation, AddIndex | RemoveIndex):
                continue
            if operation.model_name.lower() not in BUSY_TABLES:
                continue
            assert isinstance(operation, AddIndexConcurrently | RemoveIndexConcurrently), name
            assert migration.atomic is False, name
            checked += 1
    assert checked >= 5


@pytest.mark.postgres
@pytest.mark.django_db
def test_an_index_on_the_partitioned_log_is_built_plainly_on_every_partition():
    """CREATE INDEX CONCURRENTLY is refused on a partitioned table; the operation builds it."""
    from django.db import models

    loader = MigrationLoader(connection, ignore_no_migrations=True)
    before = loader.project_state()
    operation = AddIndexConcurrently(
        model_name="dossiertransition",
        index=models.Index(fields=["actor", "at"], name="transition_actor_at_test"),
    )
    after = before.clone()
    operation.state_forwards("procedures", after)
    with connection.schema_editor() as editor:
        operation.database_forwards("procedures", editor, before, after)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_inherits "
            "WHERE inhparent = 'transition_actor_at_test'::regclass"
        )
        assert cursor.fetchone()[0] >= 5  # the DEFAULT partition and this month's and 3 ahead
    with connection.schema_editor() as editor:
        operation.database_backwards("procedures", editor, after, before)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('transition_actor_at_test')")
        assert cursor.fetchone()[0] is None

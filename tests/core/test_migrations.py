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

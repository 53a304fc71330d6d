from django.db import migrations, models

from core.migration_operations import AddIndexConcurrently

# dossier_code_prefix (0004) duplicates the `_like` index Django keeps on the unique `code`
# (varchar_pattern_ops on the same column): every insert and every update that is not HOT paid
# for both. PostgreSQL only (0004 created it only there).
DROP_DUPLICATE = ["DROP INDEX CONCURRENTLY IF EXISTS dossier_code_prefix"]
RECREATE_DUPLICATE = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS dossier_code_prefix ON procedures_dossier "
    "(code varchar_pattern_ops)"
]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    # Index changes on the dossier table do not block writes (CONCURRENTLY on PostgreSQL),
    # which PostgreSQL does only outside a transaction.
    atomic = False

    dependencies = [("procedures", "0009_desk_count_and_reuse_indexes")]

    operations = [
        migrations.RunPython(_on_postgresql(DROP_DUPLICATE), _on_postgresql(RECREATE_DUPLICATE)),
        AddIndexConcurrently(
            model_name="dossier",
            index=models.Index(
                condition=models.Q(
                    ("state__in", ["intake", "appraisal", "approval", "signing", "delivery"]),
                    ("completed_at__gt", models.F("due_at")),
                    _connector="OR",
                ),
                fields=["-received_at", "-id"],
                include=("unit", "state", "due_at", "completed_at"),
                name="dossier_late_received",
            ),
        ),
    ]

import django.db.models.functions.text
from django.db import migrations, models

from core.migration_operations import (
    AddIndexConcurrently,
    RemoveIndexConcurrently,
    run_on_postgresql,
)

# The name search (`q`) compared UPPER(applicant_full_name) with the pattern on every row it
# passed: walking the newest dossiers until a page is full (a common name), UPPER() was about
# three quarters of the time (9.4 ms of a 1M-dossier search for "Nguyễn Văn Hùng"; 3.0 ms
# against stored capitals). The capitals are now a stored generated column, which the covering
# index on received_at includes instead of the name, and the trigram index (for rare names) is
# built on it. Adding the column rewrites the dossier table once (writes blocked meanwhile); the
# index changes do not block writes: 72 s in all for 1M dossiers on a busy machine (README).
TRIGRAM = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS dossier_name_search_trgm ON procedures_dossier "
    "USING gin (applicant_name_search gin_trgm_ops)",
    # As 0011 did for the former expression index: the frequent names' counts kept, so that the
    # planner tells a common pattern (walk the newest) from a rare one (the trigram index).
    "ALTER TABLE procedures_dossier ALTER COLUMN applicant_name_search SET STATISTICS 1000",
    "ANALYZE procedures_dossier (applicant_name_search)",
    "DROP INDEX CONCURRENTLY IF EXISTS dossier_applicant_trgm",
]
UNDO_TRIGRAM = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS dossier_applicant_trgm ON procedures_dossier "
    "USING gin (UPPER(applicant_full_name::text) gin_trgm_ops)",
    "ALTER INDEX dossier_applicant_trgm ALTER COLUMN 1 SET STATISTICS 1000",
    "DROP INDEX CONCURRENTLY IF EXISTS dossier_name_search_trgm",
]


class Migration(migrations.Migration):
    # Index changes on the dossier table do not block writes (CONCURRENTLY on PostgreSQL),
    # which PostgreSQL does only outside a transaction.
    atomic = False

    dependencies = [
        ("digitization", "0010_refresh_accountability_schedule"),
        ("procedures", "0012_partition_transition_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="dossier",
            name="applicant_name_search",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper("applicant_full_name"),
                output_field=models.CharField(max_length=255),
                verbose_name="applicant's name for searching",
            ),
        ),
        AddIndexConcurrently(
            model_name="dossier",
            index=models.Index(
                fields=["-received_at", "-id"],
                include=("unit", "state", "channel", "applicant_name_search"),
                name="dossier_received_search",
            ),
        ),
        RemoveIndexConcurrently(model_name="dossier", name="dossier_received"),
        run_on_postgresql(TRIGRAM, UNDO_TRIGRAM),
    ]

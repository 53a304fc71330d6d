from django.db import migrations

# The name search (`q`, `UPPER(applicant_full_name) LIKE '%…%'`) is answered either by walking the
# index on received_at (newest first, the name in the index) until a page is full, or from the
# trigram index then sorted: the first is cheap when the pattern is common, the second when it is
# rare. The planner chooses by the pattern's estimated frequency, read from the statistics of the
# trigram index's expression; with the default 100 most common names it misjudged a common
# pattern ("Nguyễn Văn": 98 rows estimated, 8,243 found at 1M dossiers) and read every match
# (62 ms instead of 13 ms). 1,000 keeps the frequent names' counts. ANALYZE applies it.
# PostgreSQL only (the trigram index exists only there); the lock taken does not block writes.
SET = ["ALTER INDEX IF EXISTS dossier_applicant_trgm ALTER COLUMN 1 SET STATISTICS 1000"]
RESET = ["ALTER INDEX IF EXISTS dossier_applicant_trgm ALTER COLUMN 1 SET STATISTICS -1"]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("procedures", "0010_late_list_index_drop_duplicate")]

    operations = [migrations.RunPython(_on_postgresql(SET), _on_postgresql(RESET))]

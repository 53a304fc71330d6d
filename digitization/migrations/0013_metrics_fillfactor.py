"""Room on every page of the daily and monthly metrics for the counters' next versions.

Each metrics run adds to the rows of the days and months it touches; no indexed column changes,
so on PostgreSQL the update can stay on the row's page (a HOT update, writing no index entry)
when the page has room. Packed full, only 2 % of them did (bench/scale.py, 1M dossiers), each of
the others writing an entry in all four indexes of the daily table. New pages now keep 30 %
free; the next full run (recompute_metrics) rewrites every row into them.
"""

from django.db import migrations

TABLES = ("digitization_unitdaymetrics", "digitization_unitmonthmetrics")


def set_fillfactor(value):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in TABLES:
            setting = f"SET (fillfactor = {value})" if value else "RESET (fillfactor)"
            schema_editor.execute(f"ALTER TABLE {table} {setting}")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("digitization", "0012_pending_dossiers_temporary"),
    ]

    operations = [
        migrations.RunPython(set_fillfactor(70), set_fillfactor(None)),
    ]

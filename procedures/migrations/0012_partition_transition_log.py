"""PostgreSQL: the transition log becomes a table partitioned by month of `at` (procedures.
partitions), its rows copied; the daily job creating partitions ahead is installed. SQLite keeps
the plain table. The model is unchanged: only the primary key in the database is (id, at)."""

from django.db import migrations


def partition(apps, schema_editor):
    from procedures import partitions

    partitions.convert_log(to_partitioned=True)


def unpartition(apps, schema_editor):
    from procedures import partitions

    partitions.convert_log(to_partitioned=False)


def install_job(apps, schema_editor):
    from procedures.schedule import install_schedule

    install_schedule(
        periodic_task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
        interval_model=apps.get_model("django_celery_beat", "IntervalSchedule"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("procedures", "0011_name_search_statistics"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition),
        migrations.RunPython(install_job, migrations.RunPython.noop),
    ]

"""Install the periodic refresh of the accountability tables (celery beat), unless an
administrator already has it: a run of its own, so the metrics' incremental run keeps its cost."""

from django.db import migrations

NAME = "digitization: refresh accountability"
TASK = "digitization.tasks.refresh_accountability"
EVERY_MINUTES = 5


def install(apps, schema_editor):
    from procedures.schedule import install_job

    install_job(
        NAME,
        TASK,
        EVERY_MINUTES,
        periodic_task_model=apps.get_model("django_celery_beat", "PeriodicTask"),
        interval_model=apps.get_model("django_celery_beat", "IntervalSchedule"),
        description="Installed by motcua (digitization.metrics.refresh_accountability).",
    )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("digitization", "0009_accountability_tables"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]

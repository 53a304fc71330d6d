"""Install the periodic metrics refresh (celery beat), unless an administrator already has it."""

from django.db import migrations

NAME = "digitization: refresh metrics"
TASK = "digitization.tasks.refresh_metrics"
EVERY_MINUTES = 5


def install(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    interval = IntervalSchedule.objects.filter(every=EVERY_MINUTES, period="minutes").first()
    if interval is None:
        interval = IntervalSchedule.objects.create(every=EVERY_MINUTES, period="minutes")
    PeriodicTask.objects.create(
        name=NAME,
        task=TASK,
        interval=interval,
        enabled=True,
        # a run still queued when the next one is due is dropped rather than piling up
        expire_seconds=EVERY_MINUTES * 60,
        description="Installed by motcua (digitization.metrics).",
    )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("digitization", "0003_metrics_and_ratings"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from procedures.schedule import PERIODIC_JOBS


class Command(BaseCommand):
    help = (
        "Exit with an error unless celery beat has sent one of motcua's periodic jobs within "
        "the last --max-age minutes (the health check of the beat container)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=20, help="minutes (default 20)")

    def handle(self, *args, max_age, **options):
        names = [name for name, _, _ in PERIODIC_JOBS]
        last = PeriodicTask.objects.filter(name__in=names, enabled=True).aggregate(
            last=Max("last_run_at")
        )["last"]
        if last is None or timezone.now() - last > timedelta(minutes=max_age):
            raise CommandError(
                f"No periodic job sent in the last {max_age} minutes (last: {last})."
            )
        self.stdout.write(
            f"Last periodic job sent at {timezone.localtime(last):%Y-%m-%d %H:%M:%S}."
        )

from django.core.management.base import BaseCommand

from procedures.schedule import PERIODIC_JOBS, install_schedule


class Command(BaseCommand):
    help = (
        "Install the periodic jobs celery beat runs (overdue and due-soon flags every 15 minutes, "
        "pending notices every 5). Idempotent: jobs already there keep an administrator's "
        "changes unless --reset is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="put every job back to its default schedule"
        )

    def handle(self, *args, reset, **options):
        installed = install_schedule(reset=reset)
        for name, task, minutes in PERIODIC_JOBS:
            state = "installed" if name in installed else "already there"
            self.stdout.write(f"{name}: {task} every {minutes} min ({state})")

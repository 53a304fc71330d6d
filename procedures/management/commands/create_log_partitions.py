"""Make the transition log's monthly partitions (PostgreSQL), as the daily job does."""

from django.core.management.base import BaseCommand

from procedures import partitions


class Command(BaseCommand):
    help = (
        "Make the transition log's monthly partitions: this month, the LOG_PARTITIONS_AHEAD "
        "months ahead, and the months whose entries went to the DEFAULT partition (moved into "
        "them). PostgreSQL only; nothing to do elsewhere."
    )

    def handle(self, *args, **options):
        made = partitions.create_partitions_ahead()
        for name in made:
            self.stdout.write(f"made {name}")
        self.stdout.write(f"{len(made)} partitions made.")

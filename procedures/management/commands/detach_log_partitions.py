"""Detach the transition log's monthly partitions before a month, to archive them (PostgreSQL)."""

import re
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from procedures import partitions


class Command(BaseCommand):
    help = (
        "Detach the transition log partitions of the months before --before YYYY-MM. Each stays "
        "a plain table to archive (pg_dump -t NAME) and drop; its entries leave the log."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, help="first month kept, YYYY-MM")

    def handle(self, *args, before, **options):
        match = re.fullmatch(r"(\d{4})-(\d{2})", before)
        if not match or not 1 <= int(match[2]) <= 12:
            raise CommandError("--before must be a month, YYYY-MM.")
        if not partitions.is_partitioned():
            raise CommandError("The transition log is not partitioned (PostgreSQL only).")
        detached = partitions.detach_partitions(before=date(int(match[1]), int(match[2]), 1))
        for name in detached:
            self.stdout.write(f"detached {name}")
        self.stdout.write(f"{len(detached)} partitions detached.")

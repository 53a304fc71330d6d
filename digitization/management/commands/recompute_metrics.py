from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Min
from django.utils import timezone
from tqdm import tqdm

from digitization.metrics import recompute_metrics
from digitization.models import UnitDayMetrics


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date such as 2026-03-31.") from error


class Command(BaseCommand):
    help = (
        "Recompute the per-unit, per-day metrics from the dossiers. Without --from/--to both "
        "tables are rebuilt and the incremental runs restart from now; with a range, the days "
        "of the range and every other day their dossiers counted on are recomputed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_day, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=_day, help="last day (included)")
        parser.add_argument(
            "--wait",
            type=float,
            default=600,
            help="seconds to wait for a metrics run in progress (default 600)",
        )
        parser.add_argument(
            "--accountability",
            action="store_true",
            help="with no range: rebuild the accountability tables too (they are otherwise "
            "only brought up to date)",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, start, end, wait, no_progress, accountability, **options):
        if start is not None or end is not None:
            end = end or timezone.localdate()
            if start is None:
                first = UnitDayMetrics.objects.aggregate(first=Min("day"))["first"]
                start = min(first or end, end)
            if start > end:
                raise CommandError("--from must not be after --to.")
            if accountability:
                raise CommandError("--accountability rebuilds everything: give no range.")
        with tqdm(total=1, unit="step", disable=no_progress, file=self.stderr) as bar:

            def progress(done, total):
                bar.total = total
                bar.update(done - bar.n)

            result = recompute_metrics(
                start=start,
                end=end,
                progress=progress,
                wait_seconds=wait,
                accountability=accountability,
            )
        if result is None:
            raise CommandError("Another metrics run kept the lock; try again later.")
        what = "everything" if start is None else f"{start} to {end}"
        self.stdout.write(
            self.style.SUCCESS(
                f"Recomputed {what}: {result.dossiers} dossiers in {result.seconds:.1f} s."
            )
        )

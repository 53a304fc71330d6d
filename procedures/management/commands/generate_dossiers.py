from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from devtools import demo
from devtools.bulk import ensure_handling_units, generate_dossiers


class Command(BaseCommand):
    help = (
        "Generate N realistic dossiers for benchmarks, fast (COPY on PostgreSQL), spread over "
        "units, procedures, states and the past DAYS days."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--units",
            type=int,
            default=0,
            help="add test communes until this many units handle procedures",
        )
        parser.add_argument("--no-history", action="store_true", help="skip the transition log")
        parser.add_argument("--no-progress", action="store_true")

    def handle(
        self, *args, count, days, seed, batch_size, units, no_history, no_progress, **options
    ):
        if count < 1 or days < 1 or batch_size < 1:
            raise CommandError("--count, --days and --batch-size must be positive.")
        demo.seed_catalogue()
        if units:
            ensure_handling_units(units)
        with tqdm(total=count, unit="dossier", disable=no_progress, file=self.stderr) as bar:
            done = 0

            def progress(made):
                nonlocal done
                bar.update(made - done)
                done = made

            try:
                made = generate_dossiers(
                    count=count,
                    days=days,
                    seed=seed,
                    batch_size=batch_size,
                    with_history=not no_history,
                    progress=progress,
                )
            except ValueError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Generated {made} dossiers."))

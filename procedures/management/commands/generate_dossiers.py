from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from devtools import demo
from devtools.bulk import ensure_handling_units, generate_dossiers


class Command(BaseCommand):
    help = (
        "Generate N realistic dossiers for benchmarks, fast (COPY on PostgreSQL), spread over "
        "units, procedures, states and the past DAYS days. With --fast (PostgreSQL only) the "
        "rows are computed by set-based SQL, a chunk of dossiers per statement."
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
        parser.add_argument(
            "--fast",
            action="store_true",
            help="set-based SQL generation (PostgreSQL only), one transaction",
        )
        parser.add_argument(
            "--chunk-size",
            type=int,
            default=1_000_000,
            help="with --fast: dossiers per statement",
        )

    def handle(
        self,
        *args,
        count,
        days,
        seed,
        batch_size,
        units,
        no_history,
        no_progress,
        fast,
        chunk_size,
        **options,
    ):
        if count < 1 or days < 1 or batch_size < 1 or chunk_size < 1:
            raise CommandError("--count, --days, --batch-size and --chunk-size must be positive.")
        if fast:
            from django.db import connection

            if connection.vendor != "postgresql":
                raise CommandError("--fast is PostgreSQL only; leave it out on SQLite.")
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
                if fast:
                    from devtools.fastgen import generate_dossiers_fast

                    timings = generate_dossiers_fast(
                        count=count,
                        days=days,
                        seed=seed,
                        chunk_size=chunk_size,
                        with_history=not no_history,
                        progress=progress,
                    )
                    made = count
                else:
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
        if fast and options.get("verbosity", 1) > 1:
            phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items())
            self.stdout.write(f"Phases: {phases}")
        self.stdout.write(self.style.SUCCESS(f"Generated {made} dossiers."))

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backups.archive import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database and put the uploaded files back from an archive written by "
        "`backup`, then check every file row's file and SHA-256. Stop the web and worker "
        "processes first."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="do not ask to confirm"
        )

    def handle(self, *args, archive, interactive, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(f"no archive {path}")
        if interactive:
            answer = input("This replaces the whole database and the files. Type 'yes': ")
            if answer != "yes":
                raise CommandError("Restore cancelled.")
        try:
            verification = restore(path)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {path}: {verification.checked} stored files checked.")
        if not verification.ok:
            for problem in verification.missing:
                self.stderr.write(f"missing: {problem}")
            for problem in verification.mismatched:
                self.stderr.write(f"SHA-256 differs: {problem}")
            raise CommandError("Some file rows have no matching file.")

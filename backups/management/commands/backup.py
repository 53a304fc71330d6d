from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from backups.archive import BackupError, backup


class Command(BaseCommand):
    help = "Write one archive with the database and the uploaded files (see backups/archive.py)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            default=settings.BACKUP_DIR,
            help="directory for the archive (BACKUP_DIR, default backup-archives/)",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=0,
            help="then delete all but the newest KEEP archives in that directory (0 keeps all)",
        )

    def handle(self, *args, output_dir, keep, **options):
        directory = Path(output_dir)
        try:
            archive = backup(directory)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(archive))
        if keep > 0:
            for old in sorted(directory.glob("motcua-*.tar"))[:-keep]:
                old.unlink()

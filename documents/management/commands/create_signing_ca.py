from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from documents.authority import CA_KEY, create_ca, save_ca


class Command(BaseCommand):
    help = (
        "Create the provincial signing CA in SIGNING_KEY_DIR (ca.pem, and ca.p12 encrypted with "
        "the signing passphrase), for deployments without a national CA."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", default="Quảng Ninh Signing CA", help="the CA's common name")
        parser.add_argument("--days", type=int, default=3650)
        parser.add_argument("--force", action="store_true", help="replace an existing CA")

    def handle(self, *args, name, days, force, **options):
        if (Path(settings.SIGNING_KEY_DIR) / CA_KEY).exists() and not force:
            raise CommandError("A signing CA exists already; --force replaces it.")
        path = save_ca(create_ca(name, days=days))
        self.stdout.write(f"CA certificate (trust root): {path}")

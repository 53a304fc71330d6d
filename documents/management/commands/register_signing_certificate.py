from pathlib import Path

from cryptography import x509
from django.core.management.base import BaseCommand, CommandError

from documents.authority import register_certificate
from procedures.models import User


class Command(BaseCommand):
    help = (
        "Register the certificate (PEM) of an approver who signs outside the system (USB token, "
        "remote signing), so that their uploaded signed results are accepted."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("certificate", type=Path)

    def handle(self, *args, username, certificate, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No staff member {username!r}.") from exc
        registered = register_certificate(
            user, x509.load_pem_x509_certificate(certificate.read_bytes())
        )
        self.stdout.write(f"Registered {registered.subject} ({registered.fingerprint[:16]}…)")

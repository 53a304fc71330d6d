from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from documents.authority import issue_credential, load_ca
from procedures.models import User


class Command(BaseCommand):
    help = (
        "Issue an approver a signing certificate from the provincial CA: writes "
        "SIGNING_KEY_DIR/<username>.p12 (encrypted with the signing passphrase) and registers "
        "the certificate."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--days", type=int, default=730)

    def handle(self, *args, username, days, **options):
        try:
            user = User.objects.select_related("unit").get(username=username)
        except User.DoesNotExist as exc:
            raise CommandError(f"No staff member {username!r}.") from exc
        try:
            ca = load_ca()
        except FileNotFoundError as exc:
            raise CommandError("No signing CA: run create_signing_ca first.") from exc
        now = timezone.now()
        registered = issue_credential(
            user, ca, not_before=now - timedelta(minutes=5), not_after=now + timedelta(days=days)
        )
        self.stdout.write(
            f"{registered.subject}: serial {registered.serial_number}, "
            f"valid until {registered.not_after:%d/%m/%Y}"
        )

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import unlock


class Command(BaseCommand):
    help = "Lift a sign-in lock-out: of an account (USERNAME), of a client address (--address)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--address", help="client IP address locked out")

    def handle(self, *args, username=None, address=None, **options):
        if not username and not address:
            raise CommandError("Give a USERNAME, an --address, or both.")
        user = None
        if username:
            user = get_user_model()._default_manager.filter(username=username).first()
            if user is None:
                raise CommandError(f"No user {username!r}.")
        unlock(user=user, address=address)
        self.stdout.write(f"Unlocked {', '.join(filter(None, [username, address]))}.")

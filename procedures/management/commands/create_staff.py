import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from procedures.models import Role, Unit, User


class Command(BaseCommand):
    help = (
        "Create a member of staff with a role and a unit. The password comes from STAFF_PASSWORD "
        "or is asked for."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--unit", help="unit code (required for every role but admin)")
        parser.add_argument("--email", default="")
        parser.add_argument("--full-name", default="", help="shown as the user's name")
        parser.add_argument(
            "--covers-child-units",
            action="store_true",
            help="a clerk, specialist or approver who also works for the units under theirs",
        )

    def handle(self, *args, username, role, unit, email, full_name, covers_child_units, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        unit_obj = None
        if unit:
            unit_obj = Unit.objects.filter(code=unit).first()
            if unit_obj is None:
                raise CommandError(f"No unit with code {unit!r}.")
        elif role != Role.ADMIN:
            raise CommandError("--unit is required for every role but admin.")

        password = os.environ.get("STAFF_PASSWORD") or self._ask_password()
        user = User(
            username=username,
            email=email,
            role=role,
            unit=unit_obj,
            covers_child_units=covers_child_units,
            is_staff=True,
            is_superuser=role == Role.ADMIN,
        )
        first, _, last = full_name.rpartition(" ")
        user.first_name, user.last_name = first, last
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user.set_password(password)
        with transaction.atomic():
            user.save()
        where = f" in {unit_obj.code}" if unit_obj else ""
        self.stdout.write(self.style.SUCCESS(f"Created {role} {username}{where}."))

    def _ask_password(self) -> str:
        if not self.stdin_is_interactive():
            raise CommandError("Set STAFF_PASSWORD or run interactively to type a password.")
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("The two passwords differ.")
        return first

    @staticmethod
    def stdin_is_interactive() -> bool:
        import sys

        return sys.stdin.isatty()

from django.core.management.base import BaseCommand
from django.db import transaction

from devtools import demo
from digitization.metrics import refresh_metrics
from documents.demo import seed_signing
from procedures import services
from procedures.models import Dossier, Role, User


class Command(BaseCommand):
    help = (
        "Load the Quảng Ninh demo: units, procedures, one account per role and a few hundred "
        "dossiers over the past 90 days. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, default=400)
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args, dossiers, days, **options):
        with transaction.atomic():
            units = demo.seed_catalogue()
            staff = demo.seed_staff(units)
        names = [name for name, role, _unit in demo.DEMO_ACCOUNTS if role == Role.APPROVER]
        names += [user.username for user in staff.values() if user.role == Role.APPROVER]
        approvers = User.objects.filter(username__in=names, role=Role.APPROVER)
        made = seed_signing(approvers)
        self.stdout.write(f"Signing CA and approvers' credentials ready ({made} issued now).")
        if Dossier.objects.filter(unit__in=units.values()).exists():
            self.stdout.write("Demo dossiers already present; nothing to add.")
        else:
            made = demo.seed_dossiers(count=dossiers, days=days)
            self.stdout.write(f"Created {made} demo dossiers.")
            # What celery beat would have done by now, so flags and the dashboard show the demo.
            late = services.flag_overdue_dossiers()
            soon = services.flag_due_soon()
            refresh_metrics()
            self.stdout.write(f"Flagged {late} overdue and {soon} due soon; metrics computed.")
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {demo.DEMO_PASSWORD}):"))
        for username, role, unit in demo.DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<11} {role:<11} {unit or '-'}")

"""Demo data for Quảng Ninh: units, catalogue, staff and a few hundred dossiers.

Dossiers are played through the real services with past timestamps, so their history, deadlines
and digitization are exactly what staff would have produced.
"""

import contextlib
import math
import random
from datetime import datetime, time, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from devtools import demo_data
from digitization.services import attach_result, digitize_component
from documents.demo import result_document
from documents.services import perform_action
from procedures import services
from procedures.calendar import get_calendar
from procedures.models import (
    STEP_SHARE_FIELDS,
    Channel,
    Dossier,
    DossierState,
    Procedure,
    ProcedureComponent,
    Role,
    Unit,
    User,
)

DEMO_PASSWORD = "motcua-demo-2026"
# One printed account per role: (username, role, unit code)
DEMO_ACCOUNTS = [
    ("clerk", Role.CLERK, "000.00.31.H40"),
    ("specialist", Role.SPECIALIST, "000.00.31.H40"),
    ("approver", Role.APPROVER, "000.00.31.H40"),
    ("inspector", Role.INSPECTOR, demo_data.PROVINCE[0]),
    ("leader", Role.LEADER, demo_data.PROVINCE[0]),
    ("admin", Role.ADMIN, None),
]
PROCESSING = (Role.CLERK, Role.SPECIALIST, Role.APPROVER)
S = DossierState
# Where a demo dossier stops (unless time runs out first), so every state is represented.
TARGET_WEIGHTS = {
    S.SUBMITTED: 3,
    S.INTAKE: 5,
    S.APPRAISAL: 7,
    S.APPROVAL: 5,
    S.SIGNING: 4,
    S.DELIVERY: 5,
    S.SUPPLEMENT: 4,
    S.COMPLETED: 67,
}


class _Stop(Exception):
    pass


def seed_catalogue() -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for code, name, block, parent in demo_data.UNITS:
        units[code], _ = Unit.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "block": block,
                "parent": units.get(parent),
                "contact_address": f"Bộ phận tiếp nhận và trả kết quả, {name}",
            },
        )
    for (
        code,
        name,
        field,
        level,
        days,
        shares,
        fee,
        issues,
        online,
        components,
        unit_codes,
    ) in demo_data.PROCEDURES:
        procedure, created = Procedure.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "field": field,
                "level": level,
                "processing_days": days,
                "fee": fee,
                "issues_result": issues,
                "online_level": online,
                **dict(zip(STEP_SHARE_FIELDS, shares, strict=True)),
            },
        )
        if created:
            ProcedureComponent.objects.bulk_create(
                ProcedureComponent(procedure=procedure, name=n, required=r, position=i)
                for i, (n, r) in enumerate(components)
            )
            procedure.units.set([units[c] for c in unit_codes])
    return units


def seed_staff(units: dict[str, Unit]) -> dict[tuple[str, str], User]:
    """The printed accounts, plus a clerk, specialist and approver for every handling unit."""
    staff: dict[tuple[str, str], User] = {}
    password_hash = None

    def ensure(username, role, unit, **extra):
        nonlocal password_hash
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, role=role, unit=unit, is_staff=True, **extra)
            if password_hash is None:
                user.set_password(DEMO_PASSWORD)
                password_hash = user.password
            user.password = password_hash
            user.save()
        return user

    for username, role, unit_code in DEMO_ACCOUNTS:
        ensure(
            username,
            role,
            units.get(unit_code),
            is_superuser=role == Role.ADMIN,
            covers_child_units=role in PROCESSING,
        )
    handling = Unit.objects.filter(procedures__isnull=False).distinct().order_by("code")
    for unit in handling:
        for role in PROCESSING:
            staff[(unit.code, role)] = ensure(f"{role}.{unit.code}", role, unit)
    return staff


class DossierPlayer:
    """Plays one dossier through the services from its receipt up to `now`."""

    def __init__(self, *, rng: random.Random, now: datetime, staff, pdf_seed: str):
        self.rng = rng
        self.now = now
        self.staff = staff
        self.calendar = get_calendar()
        self.pdf_seed = pdf_seed

    def advance(self, moment: datetime, working_days: float) -> datetime:
        """A moment about `working_days` working days after `moment`, inside office hours."""
        whole = math.floor(working_days)
        day = self.calendar.add_working_days(self.calendar.effective_day(moment), whole)
        minutes = int((working_days - whole) * 8 * 60)
        later = datetime.combine(day, time(8, 0), tzinfo=self.calendar.tz) + timedelta(
            minutes=minutes
        )
        return max(later, moment + timedelta(minutes=20))

    def step_time(self, moment, procedure, share) -> datetime:
        budget = max(procedure.processing_days * share / 100, 0.15)
        factor = (
            self.rng.uniform(0.1, 0.95) if self.rng.random() < 0.87 else self.rng.uniform(1.3, 3)
        )
        return self.advance(moment, budget * factor)

    def play(self, *, unit: Unit, procedure: Procedure, received_at: datetime, target) -> None:
        with contextlib.suppress(_Stop):
            self._play(unit=unit, procedure=procedure, received_at=received_at, target=target)

    def _play(self, *, unit, procedure, received_at, target) -> None:
        rng = self.rng
        clerk = self.staff[(unit.code, Role.CLERK)]
        specialist = self.staff[(unit.code, Role.SPECIALIST)]
        approver = self.staff[(unit.code, Role.APPROVER)]
        channel = rng.choices(
            [Channel.ONLINE, Channel.DIRECT, Channel.POSTAL], weights=[55, 40, 5]
        )[0]
        if target == S.SUBMITTED:
            channel = Channel.ONLINE
        elif procedure.online_level == "partial" and channel == Channel.ONLINE:
            channel = Channel.DIRECT
        dossier = services.create_dossier(
            actor=clerk,
            procedure=procedure,
            unit=unit,
            channel=channel,
            applicant=self.applicant(),
            at=received_at,
        )
        t = received_at
        shares = procedure.step_shares

        def act(action, actor, **arguments):
            nonlocal dossier
            # as a person does it: `sign` signs the result with the approver's demo credential
            dossier = perform_action(dossier=dossier, actor=actor, action=action, at=t, **arguments)
            if dossier.state == target:
                raise _Stop

        def later(share):
            nonlocal t
            t = self.step_time(t, procedure, share)
            return t <= self.now

        if dossier.state == target:
            return
        if channel == Channel.ONLINE:
            if not later(shares[0] / 2):
                return
            if rng.random() < 0.05:
                act("refuse", clerk, reason="Hồ sơ không thuộc thẩm quyền giải quyết")
                return
            act("accept", clerk)
        # Step 1: digitize every component (a few are forgotten and caught before forwarding)
        reuse = rng.random() < 0.85
        for component in dossier.components.all():
            if rng.random() < 0.03 and not component.required:
                continue
            if reuse and rng.random() < 0.6:
                digitize_component(
                    component=component,
                    actor=clerk,
                    reused_from=f"KHO-{rng.randrange(10**8):08d}",
                    at=t,
                )
            else:
                digitize_component(
                    component=component, actor=clerk, upload=self.scan(dossier, component.pk), at=t
                )
        if not later(shares[0]):
            return
        if rng.random() < 0.04 or (target == S.SUPPLEMENT and rng.random() < 0.5):
            act("request_supplement", clerk, reason="Thiếu bản sao giấy tờ tùy thân")
            if not later(rng.uniform(1, 4) * 100 / max(procedure.processing_days, 1)):
                return
            act("resume", clerk)
        if rng.random() < 0.02:
            act("withdraw", clerk, reason="Công dân đề nghị rút hồ sơ")
            return
        act("forward", clerk, assignee=specialist)
        # Step 2: appraisal
        if not later(shares[1]):
            return
        if rng.random() < 0.06 or target == S.SUPPLEMENT:
            act("request_supplement", specialist, reason="Đề nghị bổ sung giấy tờ chứng minh")
            if not later(rng.uniform(1, 5) * 100 / max(procedure.processing_days, 1)):
                return
            act("resume", specialist)
            if not later(shares[1] / 2):
                return
        if rng.random() < 0.03:
            act("reject", specialist, reason="Không đủ điều kiện theo quy định")
            return
        act("propose", specialist, opinion="Hồ sơ hợp lệ, đề nghị phê duyệt", assignee=approver)
        # Step 3: approval, sometimes sent back once
        if not later(shares[2]):
            return
        if rng.random() < 0.05:
            act("send_back", approver, reason="Đề nghị làm rõ căn cứ pháp lý", assignee=specialist)
            if not later(shares[1] / 2):
                return
            act("propose", specialist, opinion="Đã bổ sung căn cứ", assignee=approver)
            if not later(shares[2] / 2):
                return
        act("approve", approver)
        # Step 4: signing the result document
        if procedure.issues_result:
            dossier = attach_result(
                dossier=dossier, actor=approver, upload=result_document(dossier.code), at=t
            )
        if not later(shares[3]):
            return
        act("sign", approver, assignee=clerk)
        # Step 5: return of result
        if not later(shares[4]):
            return
        act("deliver", clerk)
        return

    def applicant(self) -> dict[str, str]:
        rng = self.rng
        name = " ".join(
            [
                rng.choice(demo_data.FAMILY_NAMES),
                rng.choice(demo_data.MIDDLE_NAMES),
                rng.choice(demo_data.GIVEN_NAMES),
            ]
        )
        return {
            "full_name": name,
            "id_number": f"022{rng.randrange(10**9):09d}",
            "phone": f"09{rng.randrange(10**8):08d}",
            "email": "",
            "address": f"Số {rng.randint(1, 300)} {rng.choice(demo_data.STREETS)}, Quảng Ninh",
        }

    def scan(self, dossier: Dossier, tag) -> ContentFile:
        body = f"%PDF-1.4\n% motcua demo {self.pdf_seed} {dossier.code} {tag}\n%%EOF\n".encode()
        return ContentFile(body, name=f"{dossier.code}-{tag}.pdf")


def seed_dossiers(*, count: int, days: int = 90, seed: int = 2023, now=None) -> int:
    """Create `count` dossiers received over the past `days` days. Returns how many were made."""
    now = now or timezone.now()
    rng = random.Random(seed)
    calendar = get_calendar()
    staff = {
        (user.unit.code, user.role): user
        for user in User.objects.filter(role__in=PROCESSING, username__contains=".").select_related(
            "unit"
        )
    }
    pairs = [
        (unit, procedure)
        for procedure in Procedure.objects.prefetch_related("units").order_by("code")
        for unit in procedure.units.all()
        if (unit.code, Role.CLERK) in staff
    ]
    player = DossierPlayer(rng=rng, now=now, staff=staff, pdf_seed=str(seed))
    made = 0
    with transaction.atomic():
        for _ in range(count):
            unit, procedure = rng.choice(pairs)
            target = rng.choices(list(TARGET_WEIGHTS), weights=list(TARGET_WEIGHTS.values()))[0]
            span = days
            if target != S.COMPLETED and rng.random() < 0.8:
                # Most dossiers still open were received recently; the rest went overdue.
                span = min(days, procedure.processing_days)
            day = timezone.localdate(now) - timedelta(days=rng.randrange(span + 1))
            while not calendar.is_working_day(day):
                day += timedelta(days=1)
            received_at = datetime.combine(day, time(7, 30), tzinfo=calendar.tz) + timedelta(
                minutes=rng.randrange(9 * 60 + 30)
            )
            if received_at >= now:
                continue
            player.play(unit=unit, procedure=procedure, received_at=received_at, target=target)
            made += 1
    return made

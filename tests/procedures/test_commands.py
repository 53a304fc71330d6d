"""Management commands: create_staff, seed_demo and generate_dossiers."""

import re
from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Max
from django.utils import timezone

from devtools import demo, demo_data
from procedures import services
from procedures.management.commands import create_staff
from procedures.models import (
    DigitizationStatus,
    Dossier,
    DossierComponent,
    DossierSequence,
    DossierState,
    DossierTransition,
    Procedure,
    Role,
    Unit,
    User,
)
from tests.factories import UnitFactory, UserFactory

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
S = DossierState
pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Hoa-sen-tren-vinh-2026"


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# --- create_staff ----------------------------------------------------------------------------


@pytest.fixture
def staff_password(monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", STRONG_PASSWORD)
    return STRONG_PASSWORD


@pytest.fixture
def unit(db):
    return UnitFactory(code="000.20.31.H40", name="Phường Hồng Gai", block="commune")


def test_create_staff_creates_a_clerk_with_unit_and_usable_password(staff_password, unit):
    output = run(
        "create_staff",
        "nguyen.an",
        role="clerk",
        unit="000.20.31.H40",
        email="an@quangninh.gov.vn",
        full_name="Nguyễn Văn An",
    )
    user = User.objects.get(username="nguyen.an")
    assert (user.role, user.unit, user.email) == (Role.CLERK, unit, "an@quangninh.gov.vn")
    assert user.is_staff is True
    assert user.is_superuser is False
    assert user.covers_child_units is False
    assert user.check_password(STRONG_PASSWORD)
    assert user.get_full_name() == "Nguyễn Văn An"
    assert "Created clerk nguyen.an in 000.20.31.H40." in output


def test_create_staff_can_make_a_specialist_covering_child_units(staff_password, unit):
    run("create_staff", "tran.binh", role="specialist", unit=unit.code, covers_child_units=True)
    user = User.objects.get(username="tran.binh")
    assert (user.role, user.covers_child_units) == (Role.SPECIALIST, True)


def test_create_staff_admin_is_a_superuser_without_a_unit(staff_password, db):
    run("create_staff", "quantri", role="admin")
    user = User.objects.get(username="quantri")
    assert (user.role, user.unit, user.is_superuser, user.is_staff) == (
        Role.ADMIN,
        None,
        True,
        True,
    )
    assert user.is_admin is True
    assert user.check_password(STRONG_PASSWORD)


def test_create_staff_rejects_an_unknown_unit_code(staff_password, unit):
    with pytest.raises(CommandError, match="No unit with code '999.99.99.H40'"):
        run("create_staff", "le.cuong", role="clerk", unit="999.99.99.H40")
    assert not User.objects.filter(username="le.cuong").exists()


def test_create_staff_requires_a_unit_for_a_clerk(staff_password, db):
    with pytest.raises(CommandError, match="--unit is required"):
        run("create_staff", "le.cuong", role="clerk")
    assert not User.objects.filter(username="le.cuong").exists()


def test_create_staff_refuses_a_duplicate_username(staff_password, unit):
    existing = UserFactory(username="le.cuong", role="approver", unit=unit)
    with pytest.raises(CommandError, match="already exists"):
        run("create_staff", "le.cuong", role="clerk", unit=unit.code)
    existing.refresh_from_db()
    assert existing.role == Role.APPROVER
    assert User.objects.filter(username="le.cuong").count() == 1


@pytest.mark.parametrize("weak", ["12345678", "abc", "password"])
def test_create_staff_refuses_a_weak_password(monkeypatch, unit, weak):
    monkeypatch.setenv("STAFF_PASSWORD", weak)
    with pytest.raises(CommandError):
        run("create_staff", "le.cuong", role="clerk", unit=unit.code)
    assert not User.objects.filter(username="le.cuong").exists()


def test_create_staff_without_password_and_without_a_terminal_fails(monkeypatch, unit):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    monkeypatch.setattr(create_staff.Command, "stdin_is_interactive", staticmethod(lambda: False))
    with pytest.raises(CommandError, match="STAFF_PASSWORD"):
        run("create_staff", "le.cuong", role="clerk", unit=unit.code)
    assert not User.objects.filter(username="le.cuong").exists()


# --- seed_demo -------------------------------------------------------------------------------


def counts():
    return {
        "units": Unit.objects.count(),
        "procedures": Procedure.objects.count(),
        "users": User.objects.count(),
        "dossiers": Dossier.objects.count(),
        "components": DossierComponent.objects.count(),
        "transitions": DossierTransition.objects.count(),
    }


@pytest.fixture
def seeded(db, settings, tmp_path):
    # the demo's CA and credentials in this test's own key directory
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    settings.SIGNING_TRUST_ROOTS = [str(tmp_path / "keys" / "ca.pem")]
    output = run("seed_demo", dossiers=40)
    return output


def test_seed_demo_creates_the_units_of_the_article(seeded):
    assert Unit.objects.count() == len(demo_data.UNITS)
    names = dict(Unit.objects.values_list("code", "name"))
    assert names["000.00.61.H40"] == "Kho bạc Nhà nước tỉnh"
    assert names["000.00.31.H40"] == "Thành phố Hạ Long"
    assert names["000.00.00.H40"] == "UBND tỉnh Quảng Ninh"
    hong_gai = Unit.objects.get(code="000.20.31.H40")
    assert (hong_gai.name, hong_gai.block, hong_gai.parent.code) == (
        "Phường Hồng Gai",
        "commune",
        "000.00.31.H40",
    )
    assert Unit.objects.get(code="000.00.64.H40").block == "central"


def test_seed_demo_creates_the_procedure_catalogue_with_components_and_units(seeded):
    assert Procedure.objects.count() == len(demo_data.PROCEDURES)
    birth = Procedure.objects.get(code="1.001193")
    assert birth.name == "Đăng ký khai sinh"
    assert list(birth.components.values_list("name", "required")) == [
        ("Tờ khai đăng ký khai sinh", True),
        ("Giấy chứng sinh", True),
    ]
    assert set(birth.units.values_list("code", flat=True)) == set(demo_data.COMMUNES)


def test_seed_demo_creates_one_working_account_per_role(seeded):
    assert {role for _, role, _ in demo.DEMO_ACCOUNTS} == set(Role)
    for username, role, unit_code in demo.DEMO_ACCOUNTS:
        user = User.objects.get(username=username)
        assert user.role == role
        assert (user.unit.code if user.unit else None) == unit_code
        assert user.is_staff is True
        assert user.check_password(demo.DEMO_PASSWORD), username
    assert User.objects.get(username="admin").is_superuser is True
    assert User.objects.get(username="clerk").is_superuser is False
    assert f"Demo accounts (password: {demo.DEMO_PASSWORD}):" in seeded


def test_seed_demo_gives_every_handling_unit_a_clerk_specialist_and_approver(seeded):
    handling = Unit.objects.filter(procedures__isnull=False).distinct()
    assert handling.count() > 10
    for unit in handling:
        roles = set(unit.staff.values_list("role", flat=True))
        assert {Role.CLERK, Role.SPECIALIST, Role.APPROVER} <= roles, unit.code


def test_seed_demo_creates_the_dossiers_it_reports(seeded):
    made = int(re.search(r"Created (\d+) demo dossiers\.", seeded).group(1))
    assert 0 < made <= 40
    assert Dossier.objects.count() == made
    first_entries = DossierTransition.objects.filter(action="create")
    assert first_entries.count() == made
    assert len(Counter(Dossier.objects.values_list("state", flat=True))) > 1


def test_seed_demo_logs_each_result_attached_in_its_place_in_time(seeded):
    attached = list(DossierTransition.objects.filter(action="attach_result"))
    assert attached
    for entry in attached:
        assert entry.source_state == entry.target_state
        moments = list(entry.dossier.transitions.order_by("id").values_list("at", flat=True))
        assert moments == sorted(moments), entry.dossier.code


def test_seed_demo_twice_changes_nothing(seeded):
    before = counts()
    output = run("seed_demo", dossiers=40)
    assert counts() == before
    assert "Demo dossiers already present; nothing to add." in output


def test_seed_demo_keeps_a_unit_renamed_by_an_administrator(seeded):
    treasury = Unit.objects.get(code="000.00.61.H40")
    treasury.name = "Kho bạc Nhà nước khu vực V"
    treasury.save()
    before = counts()
    run("seed_demo", dossiers=40)
    treasury.refresh_from_db()
    assert treasury.name == "Kho bạc Nhà nước khu vực V"
    assert counts() == before


def test_seed_demo_keeps_a_demo_password_changed_afterwards(seeded):
    clerk = User.objects.get(username="clerk")
    clerk.set_password(STRONG_PASSWORD)
    clerk.save()
    run("seed_demo", dossiers=40)
    clerk.refresh_from_db()
    assert clerk.check_password(STRONG_PASSWORD)
    assert not clerk.check_password(demo.DEMO_PASSWORD)


# --- generate_dossiers -----------------------------------------------------------------------

# A Friday, before dawn in Hà Nội and still Thursday in UTC.
GENERATED_AT = datetime(2026, 11, 27, 5, 30, tzinfo=HCM)
CODE = re.compile(r"^(?P<unit>[0-9A-Za-z.]+)-(?P<day>\d{6})-(?P<number>\d{4})$")


@pytest.fixture
def generated(db):
    with time_machine.travel(GENERATED_AT, tick=False):
        output = run("generate_dossiers", count=300, days=60, no_progress=True)
    assert "Generated 300 dossiers." in output
    return list(Dossier.objects.select_related("unit"))


def test_generate_dossiers_creates_exactly_the_count(generated):
    assert len(generated) == 300
    assert Dossier.objects.count() == 300


def test_generated_codes_are_unique_and_follow_unit_day_number(generated):
    codes = [dossier.code for dossier in generated]
    assert len(set(codes)) == 300
    for dossier in generated:
        match = CODE.match(dossier.code)
        assert match, dossier.code
        assert match["unit"] == dossier.unit.code
        assert int(match["number"]) >= 1


def test_generated_code_day_is_the_local_day_of_receipt(generated):
    wrong = [
        (d.code, timezone.localtime(d.received_at, HCM).isoformat())
        for d in generated
        if CODE.match(d.code)["day"] != f"{timezone.localtime(d.received_at, HCM):%y%m%d}"
    ]
    assert wrong == []


def test_generated_numbers_run_from_one_per_unit_and_day(generated):
    numbers = {}
    for dossier in generated:
        match = CODE.match(dossier.code)
        numbers.setdefault((match["unit"], match["day"]), []).append(int(match["number"]))
    for key, found in numbers.items():
        assert sorted(found) == list(range(1, len(found) + 1)), key


def test_generated_dossiers_spread_over_states_units_and_the_period(generated):
    states = Counter(dossier.state for dossier in generated)
    assert len(states) > 1
    assert states[S.COMPLETED] > 0
    assert len({dossier.unit_id for dossier in generated}) > 1
    oldest = min(dossier.received_at for dossier in generated)
    assert oldest >= GENERATED_AT - timedelta(days=61)
    assert max(dossier.received_at for dossier in generated) <= GENERATED_AT


def test_every_accepted_generated_dossier_has_a_due_date(generated):
    missing = [
        d.code
        for d in generated
        if d.state not in (S.SUBMITTED, S.REFUSED) and (d.due_at is None or d.accepted_at is None)
    ]
    assert missing == []
    assert all(d.due_at is None for d in generated if d.state == S.SUBMITTED)


def test_every_generated_dossier_forwarded_past_intake_has_its_required_components_digitized(
    generated,
):
    forwarded = set(
        DossierTransition.objects.filter(action="forward").values_list("dossier_id", flat=True)
    )
    assert forwarded
    pending = set(
        DossierComponent.objects.filter(
            dossier_id__in=forwarded, required=True, status=DigitizationStatus.PENDING
        ).values_list("dossier__code", "dossier__state")
    )
    assert pending == set()


def test_generated_dossiers_in_later_steps_have_no_pending_required_component(generated):
    later = (S.APPRAISAL, S.APPROVAL, S.SIGNING, S.DELIVERY, S.COMPLETED)
    assert any(d.state in later for d in generated)
    assert not DossierComponent.objects.filter(
        dossier__state__in=later, required=True, status=DigitizationStatus.PENDING
    ).exists()


def test_generated_dossiers_awaiting_a_supplement_at_appraisal_have_components_digitized(db):
    """They were forwarded, so every required paper was digitized before the pause."""
    with time_machine.travel(GENERATED_AT, tick=False):
        for seed in (1, 2, 3):  # seeds that produce such dossiers
            run("generate_dossiers", count=300, days=60, seed=seed, no_progress=True)
    paused = Dossier.objects.filter(state=S.SUPPLEMENT, state_before_supplement=S.APPRAISAL)
    assert paused.count() >= 3
    pending = DossierComponent.objects.filter(
        dossier__in=paused, required=True, status=DigitizationStatus.PENDING
    )
    assert list(pending.values_list("dossier__code", flat=True)) == []


def test_generated_log_ends_in_the_dossiers_state(generated):
    last = {}
    for entry in DossierTransition.objects.order_by("dossier_id", "at", "id"):
        last[entry.dossier_id] = entry
    assert len(last) == 300
    mismatched = [
        (d.code, d.state, last[d.pk].target_state)
        for d in generated
        if last[d.pk].target_state != d.state
    ]
    assert mismatched == []
    assert DossierTransition.objects.filter(action="create").count() == 300


def test_generated_log_entries_chain_source_to_target(generated):
    previous = {}
    broken = []
    for entry in DossierTransition.objects.order_by("dossier_id", "at", "id"):
        expected = previous.get(entry.dossier_id, "")
        if entry.source_state != expected:
            broken.append((entry.dossier_id, entry.action, entry.source_state, expected))
        previous[entry.dossier_id] = entry.target_state
    assert broken == []


def test_generated_versions_count_the_logged_changes(generated):
    """Creation gives version 1 and each later logged change raises it, as in the services."""
    entries = Counter(DossierTransition.objects.values_list("dossier_id", flat=True))
    wrong = [(d.code, d.version, entries[d.pk]) for d in generated if d.version != entries[d.pk]]
    assert wrong == []


def test_generated_results_are_attached_and_logged_before_signing(generated):
    signed = DossierTransition.objects.filter(action="sign", dossier__procedure__issues_result=True)
    attached = DossierTransition.objects.filter(action="attach_result")
    assert attached.count() == signed.count() > 0
    assert not attached.exclude(source_state="signing", target_state="signing").exists()
    for entry in attached.select_related("dossier"):
        assert entry.payload == {"result_file": entry.dossier.result_file_id}
        sign = signed.get(dossier_id=entry.dossier_id)
        assert entry.at < sign.at


def test_generated_sequences_hold_the_last_number_used(generated):
    for dossier in generated:
        match = CODE.match(dossier.code)
        day = datetime.strptime(match["day"], "%y%m%d").date()
        sequence = DossierSequence.objects.get(unit=dossier.unit, day=day)
        assert sequence.last_number >= int(match["number"])


def test_dossier_created_after_generation_does_not_collide_with_generated_codes(generated):
    busiest = Counter(
        (d.unit_id, d.procedure_id, timezone.localdate(d.received_at, HCM)) for d in generated
    ).most_common(1)[0][0]
    unit_id, procedure_id, day = busiest
    same_day = [
        d
        for d in generated
        if d.unit_id == unit_id and timezone.localdate(d.received_at, HCM) == day
    ]
    highest = max(int(CODE.match(d.code)["number"]) for d in same_day)
    received_at = max(d.received_at for d in same_day)
    admin = UserFactory(username="quantri", role="admin", unit=None, is_superuser=True)
    with time_machine.travel(GENERATED_AT, tick=False):
        created = services.create_dossier(
            actor=admin,
            procedure=Procedure.objects.get(pk=procedure_id),
            unit=Unit.objects.get(pk=unit_id),
            channel="direct",
            applicant={"full_name": "Phạm Thị Mai"},
            received_at=received_at,
        )
    assert created.code not in {d.code for d in generated}
    assert created.code == f"{same_day[0].unit.code}-{day:%y%m%d}-{highest + 1:04d}"


def test_generate_dossiers_twice_adds_more_without_reusing_codes(generated):
    with time_machine.travel(GENERATED_AT, tick=False):
        run("generate_dossiers", count=50, days=60, seed=2, no_progress=True)
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == 350
    assert len(set(codes)) == 350
    assert DossierSequence.objects.aggregate(m=Max("last_number"))["m"] >= 1


def test_generate_dossiers_adds_handling_units_up_to_the_number_asked(db):
    run("generate_dossiers", count=20, days=10, units=30, no_progress=True)
    handling = Unit.objects.filter(procedures__isnull=False).distinct()
    assert handling.count() == 30
    added = Unit.objects.filter(name__startswith="Xã thử nghiệm")
    assert added.count() == 30 - len({c for p in demo_data.PROCEDURES for c in p[-1]})
    assert all(unit.block == "commune" and unit.parent is not None for unit in added)
    assert Dossier.objects.count() == 20


def test_generate_dossiers_units_below_the_current_number_adds_none(db):
    run("generate_dossiers", count=5, days=10, units=3, no_progress=True)
    assert not Unit.objects.filter(name__startswith="Xã thử nghiệm").exists()


@pytest.mark.parametrize("option", [{"count": 0}, {"count": 5, "days": 0}])
def test_generate_dossiers_rejects_non_positive_numbers(db, option):
    options = {"count": 5, "no_progress": True} | option
    with pytest.raises(CommandError, match="must be positive"):
        run("generate_dossiers", **options)
    assert Dossier.objects.count() == 0


def test_generate_dossiers_fast_refuses_a_database_other_than_postgresql(db):
    from django.db import connection

    with (
        mock.patch.object(connection, "vendor", "sqlite"),
        pytest.raises(CommandError, match="PostgreSQL only"),
    ):
        run("generate_dossiers", count=5, fast=True, no_progress=True)
    assert Dossier.objects.count() == 0


def test_seed_demo_signs_its_results_with_the_demo_credentials(seeded):
    from documents.models import SignedResult
    from documents.signing import credential_path, load_trust_roots

    signed = Dossier.objects.filter(result_signed_at__isnull=False, procedure__issues_result=True)
    assert signed.exists()
    assert SignedResult.objects.filter(method="server").count() == signed.count()
    assert [root.subject.native["common_name"] for root in load_trust_roots()] == [
        "CA ký số tỉnh Quảng Ninh (bản demo)"
    ]
    assert credential_path("approver").is_file()
    assert User.objects.get(username="approver").signing_certificates.exists()

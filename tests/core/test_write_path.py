"""`updated_at` cannot be forgotten, and the overdue rule reads the same in Python and SQL."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedures import services
from procedures.calendar import get_calendar
from procedures.models import Dossier, DossierState
from procedures.selectors import overdue_condition
from tests.dossiers import dossier_in

S = DossierState
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def updated_at(dossier):
    return Dossier.objects.values_list("updated_at", flat=True).get(pk=dossier.pk)


def test_an_update_that_forgets_updated_at_still_moves_it(world):
    dossier = dossier_in(world, S.INTAKE)
    Dossier.objects.filter(pk=dossier.pk).update(updated_at=LONG_AGO)
    Dossier.objects.filter(pk=dossier.pk).update(appointment_at=timezone.now())
    assert updated_at(dossier) > LONG_AGO


def test_issuing_an_apology_moves_updated_at(world):
    dossier = dossier_in(world, S.APPRAISAL)
    Dossier.objects.filter(pk=dossier.pk).update(
        due_at=timezone.now() - timedelta(hours=1), updated_at=LONG_AGO
    )
    calendar = get_calendar()
    new_date = calendar.add_working_days(calendar.local(timezone.now()).date(), 2)
    services.issue_apology(
        dossier=Dossier.objects.get(pk=dossier.pk),
        actor=world.specialist,
        reason="Chờ ý kiến liên ngành",
        new_appointment_date=new_date,
    )
    assert updated_at(dossier) > LONG_AGO


def test_the_deadline_flags_keep_updated_at(world):
    dossier = dossier_in(world, S.APPRAISAL)
    Dossier.objects.filter(pk=dossier.pk).update(
        due_at=timezone.now() - timedelta(hours=1), updated_at=LONG_AGO
    )
    assert services.flag_overdue_dossiers() == 1
    assert updated_at(dossier) == LONG_AGO


def test_digitizing_and_attaching_move_updated_at(world):
    from digitization.services import attach_result, digitize_component
    from tests.factories import pdf_upload

    dossier = dossier_in(world, S.INTAKE)
    Dossier.objects.filter(pk=dossier.pk).update(updated_at=LONG_AGO)
    digitize_component(component=dossier.components.first(), actor=world.clerk, reused_from="KHO-2")
    assert updated_at(dossier) > LONG_AGO
    approval = dossier_in(world, S.APPROVAL)
    Dossier.objects.filter(pk=approval.pk).update(updated_at=LONG_AGO)
    attached = attach_result(dossier=approval, actor=world.approver, upload=pdf_upload("kq"))
    assert attached.version == approval.version + 1
    assert updated_at(approval) > LONG_AGO


# --- the overdue rule -------------------------------------------------------------------------

BASE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
moments = st.one_of(
    st.none(), st.integers(min_value=-5, max_value=5).map(lambda h: BASE + timedelta(hours=h))
)


@pytest.fixture
def subject(world):
    return dossier_in(world, S.SUBMITTED)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    state=st.sampled_from(list(DossierState)),
    due_at=moments,
    completed_at=moments,
    now=st.integers(min_value=-6, max_value=6).map(lambda h: BASE + timedelta(hours=h)),
)
def test_is_overdue_agrees_with_the_sql_overdue_condition(
    subject, state, due_at, completed_at, now
):
    Dossier.objects.filter(pk=subject.pk).update(
        state=state, due_at=due_at, completed_at=completed_at
    )
    in_sql = Dossier.objects.filter(overdue_condition(now), pk=subject.pk).exists()
    assert Dossier.objects.get(pk=subject.pk).is_overdue(now) == in_sql

"""The notice outbox: what is queued when, sending with retries, and broker outages."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures import services, tasks
from procedures.calendar import get_calendar
from procedures.errors import ConcurrentChange
from procedures.models import Dossier, DossierState, Notice, NoticeKind, NoticeStatus
from procedures.services import notices
from tests.dossiers import act, dossier_in, new_dossier
from tests.factories import UserFactory
from tests.tasks.conftest import UNREACHABLE_BROKER, broker

S = DossierState
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ACCEPTED = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
DUE = datetime(2026, 3, 16, 17, 0, tzinfo=TZ)

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def citizen_notices(dossier):
    return list(
        Notice.objects.filter(dossier=dossier).order_by("created_at").values_list("kind", "status")
    )


# --- notices to the citizen ----------------------------------------------------------------


def test_accepting_an_online_dossier_sends_the_citizen_a_receipt(
    world, django_capture_on_commit_callbacks
):
    dossier = new_dossier(world)
    assert citizen_notices(dossier) == []

    with django_capture_on_commit_callbacks(execute=True):
        act(world, dossier, "accept")

    assert citizen_notices(dossier) == [(NoticeKind.RECEIPT, NoticeStatus.SENT)]
    (message,) = mail.outbox
    assert message.to == ["an@example.vn"]
    assert dossier.code in message.subject
    assert world.unit.name in message.body


def test_a_counter_dossier_gets_its_receipt_when_registered(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = new_dossier(world, channel="direct")

    assert citizen_notices(dossier) == [(NoticeKind.RECEIPT, NoticeStatus.SENT)]
    assert len(mail.outbox) == 1


def test_supplement_requests_and_ready_results_are_notified_and_other_steps_are_not(world):
    supplement = dossier_in(world, S.SUPPLEMENT)
    delivered = dossier_in(world, S.DELIVERY)

    assert citizen_notices(supplement) == [
        (NoticeKind.RECEIPT, NoticeStatus.PENDING),
        (NoticeKind.SUPPLEMENT_REQUEST, NoticeStatus.PENDING),
    ]
    assert citizen_notices(delivered) == [
        (NoticeKind.RECEIPT, NoticeStatus.PENDING),
        (NoticeKind.RESULT_READY, NoticeStatus.PENDING),
    ]


def test_the_supplement_notice_tells_the_reason(world, django_capture_on_commit_callbacks):
    dossier = dossier_in(world, S.INTAKE)
    with django_capture_on_commit_callbacks(execute=True):
        act(world, dossier, "request_supplement")

    # The woken sender sends every notice not tried yet: the receipt left pending here too.
    assert citizen_notices(dossier) == [
        (NoticeKind.RECEIPT, NoticeStatus.SENT),
        (NoticeKind.SUPPLEMENT_REQUEST, NoticeStatus.SENT),
    ]
    (message,) = [m for m in mail.outbox if "Thiếu giấy tờ" in m.body]
    assert message.to == ["an@example.vn"]


def test_no_notice_is_written_when_the_citizen_gave_no_email(world):
    dossier = new_dossier(world)
    Dossier.objects.filter(pk=dossier.pk).update(applicant_email="")

    act(world, Dossier.objects.get(pk=dossier.pk), "accept")

    assert citizen_notices(dossier) == []


def test_a_transition_that_loses_to_a_concurrent_change_writes_no_notice(world):
    dossier = new_dossier(world)
    act(world, dossier, "accept")

    with pytest.raises(ConcurrentChange):
        act(world, dossier, "accept")  # the stale copy, still "submitted"

    assert len(citizen_notices(dossier)) == 1


def test_a_transition_adds_one_statement_at_most_for_its_notice(world):
    quiet = new_dossier(world)
    Dossier.objects.filter(pk=quiet.pk).update(applicant_email="")
    quiet = Dossier.objects.select_related("procedure").get(pk=quiet.pk)
    noisy = Dossier.objects.select_related("procedure").get(pk=new_dossier(world).pk)

    assert accept_queries(world, noisy) <= accept_queries(world, quiet) + 1
    assert len(citizen_notices(noisy)) == 1


def accept_queries(world, dossier) -> int:
    get_calendar()
    with CaptureQueriesContext(connection) as captured:
        services.accept_dossier(dossier=dossier, actor=world.clerk)
    return len(captured.captured_queries)


# --- sending, retries ----------------------------------------------------------------------


def test_a_failed_send_waits_longer_each_time_and_is_given_up_after_the_last_attempt(
    world, settings
):
    settings.EMAIL_BACKEND = "tests.tasks.test_notices.FailingBackend"
    dossier = dossier_in(world, S.INTAKE)
    (notice,) = Notice.objects.filter(dossier=dossier)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)

    delays = []
    for _ in range(notices.MAX_ATTEMPTS):
        delivery = services.deliver_notice(notice_id=notice.pk, now=now)
        delays.append(delivery.retry_in)
        notice.refresh_from_db()
        if delivery.retry_in:
            assert notice.next_attempt_at == now + delivery.retry_in
            now = notice.next_attempt_at

    assert delays[:3] == [timedelta(minutes=1), timedelta(minutes=4), timedelta(minutes=16)]
    assert delays[-1] is None
    assert notice.status == NoticeStatus.FAILED
    assert notice.attempts == notices.MAX_ATTEMPTS
    assert notice.last_error == "ConnectionRefusedError: mail server down"
    assert services.deliver_notice(notice_id=notice.pk).status == "skipped"


def test_a_notice_is_sent_once_however_many_times_it_is_delivered(world):
    dossier = dossier_in(world, S.INTAKE)
    (notice,) = Notice.objects.filter(dossier=dossier)

    assert tasks.send_notice.delay(str(notice.pk)).get() == NoticeStatus.SENT
    assert tasks.send_notice.delay(str(notice.pk)).get() == "skipped"

    assert len(mail.outbox) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.SENT, 1)
    assert notice.subject == mail.outbox[0].subject
    assert notice.body == mail.outbox[0].body


def test_the_periodic_job_sends_the_notices_whose_time_has_come(world):
    dossier = dossier_in(world, S.INTAKE)
    (notice,) = Notice.objects.filter(dossier=dossier)

    with time_machine.travel(notice.created_at + timedelta(seconds=30), tick=False):
        assert tasks.send_pending_notices.delay().get() == 0  # still its own task's turn
    with time_machine.travel(notice.created_at + notices.FRESH_NOTICE_GRACE, tick=False):
        assert tasks.send_pending_notices.delay().get() == 1

    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.SENT
    assert len(mail.outbox) == 1


# --- deadline notices ----------------------------------------------------------------------


def late_dossier(world):
    dossier = dossier_in(world, S.SIGNING, at=ACCEPTED - timedelta(minutes=5))
    assert dossier.due_at == DUE
    return dossier


def test_an_overdue_dossier_is_notified_once_to_its_handler_and_the_units_approvers(world):
    world.approver.email = "approver@unit.vn"
    world.approver.save()
    second = UserFactory(role="approver", unit=world.unit, email="deputy@unit.vn")
    UserFactory(role="approver", unit=world.other_unit, email="elsewhere@unit.vn")
    UserFactory(role="approver", unit=world.unit, email="gone@unit.vn", is_active=False)
    dossier = late_dossier(world)  # handled by world.approver
    run = DUE + timedelta(minutes=15)
    services.flag_overdue_dossiers(now=run)

    with time_machine.travel(run + timedelta(minutes=1), tick=False):
        assert services.queue_deadline_notices() == 2
        assert services.queue_deadline_notices() == 0
        assert services.send_pending_notices() >= 2

    overdue = Notice.objects.filter(dossier=dossier, kind=NoticeKind.OVERDUE)
    assert sorted(overdue.values_list("recipient", flat=True)) == sorted(
        ["approver@unit.vn", second.email]
    )
    assert set(overdue.values_list("status", flat=True)) == {NoticeStatus.SENT}
    assert any(
        m.subject == f"Hồ sơ {dossier.code} đã quá hạn" and m.to == [second.email]
        for m in mail.outbox
    )


def test_a_dossier_due_soon_is_notified_to_its_handler(world):
    world.clerk.email = "clerk@unit.vn"
    world.clerk.save()
    dossier = dossier_in(world, S.INTAKE, at=ACCEPTED - timedelta(minutes=5))
    friday = datetime(2026, 3, 13, 10, 0, tzinfo=TZ)
    services.flag_due_soon(now=friday)

    with time_machine.travel(friday + timedelta(minutes=5), tick=False):
        assert services.queue_deadline_notices() == 1
        assert services.queue_deadline_notices() == 0

    (notice,) = Notice.objects.filter(dossier=dossier, kind=NoticeKind.DUE_SOON)
    assert notice.recipient == "clerk@unit.vn"


def test_staff_without_an_email_get_no_deadline_notice(world):
    late_dossier(world)
    services.flag_overdue_dossiers(now=DUE + timedelta(minutes=1))

    with time_machine.travel(DUE + timedelta(minutes=2), tick=False):
        assert services.queue_deadline_notices() == 0


# --- the broker is down --------------------------------------------------------------------


def test_with_the_broker_down_the_transition_succeeds_and_the_notice_is_sent_when_it_is_back(
    world, django_capture_on_commit_callbacks
):
    dossier = new_dossier(world)

    with broker(UNREACHABLE_BROKER), django_capture_on_commit_callbacks(execute=True):
        accepted = act(world, dossier, "accept")

    assert Dossier.objects.get(pk=dossier.pk).state == S.INTAKE == accepted.state
    (notice,) = Notice.objects.filter(dossier=dossier)
    assert notice.status == NoticeStatus.PENDING
    assert mail.outbox == []

    # The broker answers again (here: tasks run in-process) and beat runs the periodic job.
    assert tasks.send_pending_notices.delay().get() == 1

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT
    assert [m.to for m in mail.outbox] == [["an@example.vn"]]


# --- waking the sender -----------------------------------------------------------------------


@pytest.mark.redis
def test_a_burst_of_notices_wakes_the_sender_once_until_it_starts(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """On the Redis broker a notice wakes the sender only if no woken one has started yet; the
    sender removes the mark as it starts, so the next notice wakes it again."""
    import os

    import redis

    redis_url = os.environ["REDIS_URL"]
    redis.Redis.from_url(redis_url).delete(notices.WAKE_KEY)
    woken = []
    monkeypatch.setattr(tasks.send_new_notices, "delay", lambda: woken.append(1))
    first, second, third = (new_dossier(world) for _ in range(3))

    def accept(dossier):
        with django_capture_on_commit_callbacks(execute=True):
            act(world, dossier, "accept")

    with broker(redis_url):
        accept(first)
        accept(second)
        assert len(woken) == 1
        assert redis.Redis.from_url(redis_url).ttl(notices.WAKE_KEY) > 0
        services.sender_started()
        accept(third)
    assert len(woken) == 2
    assert Notice.objects.filter(status=NoticeStatus.PENDING, kind=NoticeKind.RECEIPT).count() == 3
    redis.Redis.from_url(redis_url).delete(notices.WAKE_KEY)


def test_the_woken_sender_sends_every_notice_not_tried_yet_and_leaves_the_failed_ones(
    world, settings
):
    failed, fresh = dossier_in(world, S.INTAKE), dossier_in(world, S.INTAKE)  # receipts pending
    (failed_notice,) = Notice.objects.filter(dossier=failed)
    Notice.objects.filter(pk=failed_notice.pk).update(attempts=1)  # tried once: its retry waits

    assert tasks.send_new_notices.delay().get() == 1

    assert citizen_notices(fresh) == [(NoticeKind.RECEIPT, NoticeStatus.SENT)]
    assert citizen_notices(failed) == [(NoticeKind.RECEIPT, NoticeStatus.PENDING)]
    assert [m.to for m in mail.outbox] == [["an@example.vn"]]

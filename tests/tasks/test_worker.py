"""A real Celery worker on Redis and PostgreSQL: the jobs run there and their effects show here."""

from datetime import timedelta

import pytest
from django.utils import timezone

from procedures import tasks
from procedures.models import Dossier, DossierState, Notice, NoticeKind, NoticeStatus
from procedures.services import due_soon_limit
from tests.dossiers import act, dossier_in, new_dossier
from tests.tasks.conftest import UNREACHABLE_BROKER, broker, wait_until

S = DossierState

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def test_a_real_worker_flags_late_and_due_soon_dossiers_and_sends_their_notices(
    world, celery_worker
):
    world.approver.email = "approver@unit.vn"
    world.approver.save()
    world.clerk.email = "clerk@unit.vn"
    world.clerk.save()
    late = dossier_in(world, S.SIGNING, at=timezone.now() - timedelta(days=40))  # approver's
    soon = dossier_in(world, S.INTAKE)  # the clerk's, accepted just now
    # Due by the close of the next working day, whatever today is.
    Dossier.objects.filter(pk=soon.pk).update(due_at=due_soon_limit(timezone.now()))

    tasks.flag_overdue_dossiers.delay()
    tasks.flag_due_soon.delay()

    def flagged():
        """both dossiers flagged by the worker"""
        late_now, soon_now = Dossier.objects.get(pk=late.pk), Dossier.objects.get(pk=soon.pk)
        return late_now.overdue_since and soon_now.due_soon_since and (late_now, soon_now)

    late_now, soon_now = wait_until(flagged)
    assert (late_now.overdue_step, late_now.overdue_handler_id) == (S.SIGNING, world.approver.pk)
    assert late_now.version == late.version
    assert soon_now.overdue_since is None

    tasks.send_pending_notices.delay()

    def deadline_notices_sent():
        """the overdue and due-soon notices are sent"""
        notices = Notice.objects.filter(kind__in=[NoticeKind.OVERDUE, NoticeKind.DUE_SOON])
        return (
            notices.count() == 3
            and not notices.exclude(status=NoticeStatus.SENT).exists()
            and sorted(notices.values_list("kind", "recipient"))
        )

    # To the handler and the unit's approver (who handles the late one himself).
    assert wait_until(deadline_notices_sent) == [
        (NoticeKind.DUE_SOON, "approver@unit.vn"),
        (NoticeKind.DUE_SOON, "clerk@unit.vn"),
        (NoticeKind.OVERDUE, "approver@unit.vn"),
    ]


def test_a_notice_queued_while_the_broker_is_down_is_sent_once_it_answers_again(
    world, celery_worker
):
    dossier = new_dossier(world)

    with broker(UNREACHABLE_BROKER):
        accepted = act(world, dossier, "accept")  # no atomic block: commits, then publishes

    assert accepted.state == S.INTAKE
    assert Dossier.objects.get(pk=dossier.pk).state == S.INTAKE
    (notice,) = Notice.objects.filter(dossier=dossier)
    assert (notice.kind, notice.status) == (NoticeKind.RECEIPT, NoticeStatus.PENDING)

    # The broker answers again: beat's next run of the periodic job reaches the worker.
    tasks.send_pending_notices.delay()

    def sent():
        """the receipt notice is sent by the worker"""
        notice.refresh_from_db()
        return notice.status == NoticeStatus.SENT

    wait_until(sent)
    assert notice.attempts == 1
    assert notice.sent_at is not None


def test_a_notice_published_normally_is_sent_by_the_worker_at_once(world, celery_worker):
    dossier = new_dossier(world)

    act(world, dossier, "accept")

    def sent():
        """the receipt notice is sent by its own task"""
        return Notice.objects.filter(dossier=dossier, status=NoticeStatus.SENT).exists()

    wait_until(sent)

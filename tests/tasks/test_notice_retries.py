"""A failed notice is retried through the broker only while the wait is shorter than half the
visibility timeout; longer waits are left to the periodic job (a held message would be
delivered again meanwhile)."""

from unittest import mock

import pytest
from celery.exceptions import Retry

from procedures import tasks
from procedures.models import Notice, NoticeStatus
from tests.dossiers import dossier_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(world, settings):
    settings.EMAIL_BACKEND = "tests.tasks.test_notices.FailingBackend"
    settings.BROKER_VISIBILITY_TIMEOUT = 900
    dossier_in(world, "intake")
    return Notice.objects.get()


def run_in_worker(notice):
    """The task as a worker runs it (not eagerly), its retry captured."""
    tasks.send_notice.push_request(is_eager=False)
    try:
        with mock.patch.object(tasks.send_notice, "retry", side_effect=Retry()) as retry:
            try:
                status = tasks.send_notice.run(str(notice.pk))
            except Retry:
                status = "retried"
        return status, [call.kwargs["countdown"] for call in retry.call_args_list]
    finally:
        tasks.send_notice.pop_request()


def test_short_waits_are_retried_by_the_broker_and_long_ones_by_the_periodic_job(notice):
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.PENDING, attempts=0)
    assert run_in_worker(notice) == ("retried", [60.0])  # 1 min after the first failure
    assert run_in_worker(notice) == ("retried", [240.0])  # 4 min
    # 16 min is more than half the 15-minute visibility timeout: the row keeps the time
    status, countdowns = run_in_worker(notice)
    assert (status, countdowns) == (NoticeStatus.PENDING, [])
    notice.refresh_from_db()
    assert notice.attempts == 3 and notice.status == NoticeStatus.PENDING

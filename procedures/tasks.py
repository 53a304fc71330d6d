"""Celery tasks: thin wrappers around services, each safe to run twice (acks are late)."""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from procedures import partitions, services
from procedures.models import NoticeStatus


@shared_task
def create_log_partitions() -> list[str]:
    """PostgreSQL: the transition log's monthly partitions for the months ahead (a no-op
    elsewhere, or when they are there)."""
    return partitions.create_partitions_ahead()


@shared_task
def flag_overdue_dossiers() -> int:
    return services.flag_overdue_dossiers()


@shared_task
def flag_due_soon() -> int:
    return services.flag_due_soon()


@shared_task
def send_pending_notices() -> int:
    """The periodic sender: write the deadline notices still owed, then send what is due."""
    services.queue_deadline_notices()
    return services.send_pending_notices()


@shared_task(bind=True)
def send_new_notices(self) -> int:
    """Woken after commits that wrote notices: send every notice not tried yet. A failed one is
    tried again by its own `send_notice` after its wait, or by the periodic job."""
    services.sender_started()
    sent = 0
    for notice_id, delivery in services.deliver_new_notices():
        sent += delivery.status == NoticeStatus.SENT
        if _broker_retries(delivery, eager=self.request.is_eager):
            send_notice.apply_async(
                (str(notice_id),), countdown=delivery.retry_in.total_seconds()
            )
    return sent


@shared_task(bind=True, max_retries=None)
def send_notice(self, notice_id: str) -> str:
    """Send one notice now; after a failure, try again with backoff (the row keeps count)."""
    delivery = services.deliver_notice(notice_id=notice_id)
    if _broker_retries(delivery, eager=self.request.is_eager):
        raise self.retry(countdown=delivery.retry_in.total_seconds())
    return delivery.status


def _broker_retries(delivery, *, eager: bool) -> bool:
    """Whether the broker holds the next attempt of a failed notice.

    A retry is held by a worker, unacknowledged, until its countdown ends; Redis delivers an
    unacknowledged message again after the visibility timeout, so longer waits are left to the
    periodic job, which sends the notice at its next attempt time. Eagerly (no broker) the
    periodic job retries it.
    """
    return (
        delivery.retry_in is not None
        and not eager
        and delivery.retry_in.total_seconds() < settings.BROKER_VISIBILITY_TIMEOUT / 2
    )


@worker_ready.connect
def _sender_on_start(**kwargs) -> None:
    """A worker starting (after a restart, or a purged queue): no queued task may still hold the
    sender's mark, so it is removed and the notices not tried yet are sent."""
    services.sender_started()
    send_new_notices.delay()

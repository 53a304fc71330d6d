"""Celery tasks: thin wrappers around services, each safe to run twice (acks are late)."""

from celery import shared_task
from django.conf import settings

from procedures import partitions, services


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


@shared_task(bind=True, max_retries=None)
def send_notice(self, notice_id: str) -> str:
    """Send one notice now; after a failure, try again with backoff (the row keeps count).

    A retry is held by a worker, unacknowledged, until its countdown ends; Redis delivers an
    unacknowledged message again after the visibility timeout, so longer waits are left to the
    periodic job, which sends the notice at its next attempt time.
    """
    delivery = services.deliver_notice(notice_id=notice_id)
    if (
        delivery.retry_in is not None
        and not self.request.is_eager  # eagerly (no broker) the periodic job retries it
        and delivery.retry_in.total_seconds() < settings.BROKER_VISIBILITY_TIMEOUT / 2
    ):
        raise self.retry(countdown=delivery.retry_in.total_seconds())
    return delivery.status

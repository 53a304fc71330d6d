"""Celery tasks of the digitization app: interfaces only."""

from celery import shared_task

from digitization.metrics import refresh_accountability, refresh_metrics


@shared_task(name="digitization.tasks.refresh_metrics", ignore_result=True)
def refresh_metrics_task() -> str:
    """Bring the metrics table up to date with the dossiers changed since the last run.

    Idempotent; a run finding another one in progress does nothing.
    """
    result = refresh_metrics()
    if result is None:
        return "skipped: another metrics run is in progress"
    return f"{result.kind}: {result.dossiers} dossiers in {result.seconds:.2f} s"


@shared_task(name="digitization.tasks.refresh_accountability", ignore_result=True)
def refresh_accountability_task() -> str:
    """Bring the accountability tables up to date with the dossiers changed since their last
    count. Idempotent; a run finding another metrics run in progress does nothing."""
    result = refresh_accountability()
    if result is None:
        return "skipped: another metrics run is in progress"
    return f"{result.kind}: {result.dossiers} dossiers in {result.seconds:.2f} s"

"""recompute_metrics, the refresh task and its schedule."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from digitization.models import UnitDayMetrics
from digitization.tasks import refresh_metrics_task
from procedures.models import Dossier
from tests.digitization.conftest import local, metrics_table, only
from tests.digitization.test_metrics_table import EXPECTED, U

pytestmark = pytest.mark.django_db


def test_recompute_metrics_rebuilds_the_whole_table(march, capsys):
    call_command("recompute_metrics", "--no-progress")
    assert metrics_table() == EXPECTED
    assert "Recomputed everything: 10 dossiers" in capsys.readouterr().out


def test_recompute_metrics_of_a_range(march, capsys):
    call_command("recompute_metrics", "--no-progress")
    Dossier.objects.filter(pk=march["f"].pk).update(supplement_count=1)  # edited in the database
    call_command("recompute_metrics", "--from", "2026-03-12", "--to", "2026-03-12")
    assert metrics_table()[(U, date(2026, 3, 12))] == only(
        finished=1, finished_on_time=1, finished_needing_result=1, finished_with_result=1
    )
    output = capsys.readouterr()
    assert "Recomputed 2026-03-12 to 2026-03-12" in output.out
    assert "100%" in output.err  # the progress bar


def test_recompute_metrics_from_a_day_to_today(march):
    call_command("recompute_metrics", "--no-progress", "--from", "2026-03-01")
    assert metrics_table() == EXPECTED


@pytest.mark.parametrize(
    "arguments",
    [["--from", "2026-02-30"], ["--from", "2026-03-05", "--to", "2026-03-01"]],
)
def test_recompute_metrics_refuses_a_bad_range(db, arguments):
    with pytest.raises(CommandError):
        call_command("recompute_metrics", "--no-progress", *arguments)


def test_the_refresh_task_brings_the_table_up_to_date(march):
    outcome = refresh_metrics_task.apply().get()
    assert outcome.startswith("rebuild: 10 dossiers")
    assert metrics_table() == EXPECTED
    assert refresh_metrics_task.apply().get().startswith("incremental:")


def test_the_refresh_task_is_scheduled_every_five_minutes(db):
    from config.celery import app

    job = PeriodicTask.objects.select_related("interval").get(
        task="digitization.tasks.refresh_metrics"
    )
    assert (job.enabled, job.interval.every, job.interval.period) == (True, 5, "minutes")
    assert job.task in app.tasks


def test_a_day_with_nothing_left_loses_its_row(march, world):
    call_command("recompute_metrics", "--no-progress")
    Dossier.objects.filter(unit=world.other_unit).update(received_at=local(2026, 2, 27, 9))
    call_command("recompute_metrics", "--no-progress", "--from", "2026-03-02", "--to", "2026-03-02")
    assert not UnitDayMetrics.objects.filter(unit=world.other_unit, day=date(2026, 3, 2)).exists()
    assert UnitDayMetrics.objects.get(unit=world.other_unit).day == date(2026, 2, 27)

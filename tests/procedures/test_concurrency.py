"""Real threads against PostgreSQL: row locks and the code sequence under contention."""

import threading

import pytest
from django.db import connection

from procedures import services
from procedures.errors import ConcurrentChange, TransitionNotAllowed
from procedures.models import Dossier, DossierState, DossierTransition
from tests.dossiers import ARGUMENTS, digitize_all, dossier_in

S = DossierState
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls):
    """Run the calls in threads released at the same instant; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize(
    ("first", "second"), [("forward", "forward"), ("forward", "reject"), ("withdraw", "forward")]
)
def test_two_simultaneous_transitions_give_one_success_and_one_conflict(world, first, second):
    dossier = dossier_in(world, S.INTAKE)
    digitize_all(world, dossier)
    logged = DossierTransition.objects.filter(dossier=dossier).count()
    actors = {"forward": world.clerk, "reject": world.approver, "withdraw": world.clerk}

    def attempt(action):
        copy = Dossier.objects.get(pk=dossier.pk)  # each user looked at the dossier first
        return lambda: services.perform_transition(
            dossier=copy, actor=actors[action], action=action, **ARGUMENTS.get(action, {})
        )

    results = run_together(attempt(first), attempt(second))

    successes = [r for r in results if isinstance(r, Dossier)]
    conflicts = [r for r in results if isinstance(r, ConcurrentChange | TransitionNotAllowed)]
    assert len(successes) == 1, results
    assert len(conflicts) == 1, results
    assert isinstance(conflicts[0], ConcurrentChange)
    assert DossierTransition.objects.filter(dossier=dossier).count() == logged + 1
    assert Dossier.objects.get(pk=dossier.pk).state == successes[0].state


def test_twenty_simultaneous_creations_in_one_unit_get_twenty_distinct_codes(world):
    def create():
        return services.create_dossier(
            actor=world.clerk,
            procedure=world.procedure,
            unit=world.unit,
            channel="direct",
            applicant={"full_name": "Lê Văn Cường"},
        )

    results = run_together(*[create for _ in range(20)])

    assert all(isinstance(r, Dossier) for r in results), results
    codes = {r.code for r in results}
    assert len(codes) == 20
    assert sorted(int(code.rsplit("-", 1)[1]) for code in codes) == list(range(1, 21))
    assert Dossier.objects.count() == 20

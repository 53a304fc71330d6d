"""One step-deadline rule for the model and the data generator."""

import inspect

from hypothesis import given
from hypothesis import strategies as st

from devtools import bulk, fastgen
from procedures.models.dossiers import Dossier, step_due_days


def test_each_step_ends_after_whole_working_days_and_the_last_at_the_total():
    assert step_due_days(10, [20, 40, 20, 10, 10]) == [2, 6, 8, 9, 10]
    assert step_due_days(1, [20, 20, 20, 20, 20]) == [1, 1, 1, 1, 1]


@given(
    total=st.integers(min_value=1, max_value=365),
    cuts=st.lists(st.integers(min_value=0, max_value=100), min_size=4, max_size=4),
)
def test_step_days_never_go_back_and_end_at_the_total(total, cuts):
    points = sorted(cuts)
    shares = [b - a for a, b in zip([0, *points], [*points, 100], strict=True)]
    days = step_due_days(total, shares)
    assert days == sorted(days)
    assert days[-1] == total


def test_the_model_and_the_generator_use_the_same_rule():
    assert "step_due_days(" in inspect.getsource(Dossier._set_deadlines)  # start_clock's rule
    assert "step_due_days(" in inspect.getsource(bulk)
    assert "step_due_days(" in inspect.getsource(fastgen)  # the SQL generator's step days

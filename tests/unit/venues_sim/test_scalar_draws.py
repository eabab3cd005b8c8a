"""``ScalarDraws`` gives numpy's own numbers: ``random()`` and ``integers(low, high)`` equal
``Generator.random()`` and ``int(Generator.integers(low, high))`` on a twin generator, draw after draw,
however they interleave with numpy's other draws on the same generator (which share PCG64's buffered
half-word with ``next_uint32``), for ranges of one value, small ranges, ranges where Lemire's rejection
is frequent, exactly 2**32 values and wider (numpy's own method)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from venues_sim.draws import ScalarDraws

WIDTHS = [1, 2, 3, 7, 11, 100, 10**6, 3_000_000_000, 2**32 - 1, 2**32, 2**32 + 1, 2**40]

op = st.one_of(
    st.tuples(st.just("integers"), st.integers(-10**6, 10**6), st.sampled_from(WIDTHS)),
    st.tuples(st.just("random")),
    st.tuples(st.just("numpy"), st.sampled_from(["standard_normal", "exponential", "integers_array", "geometric"])))


def numpy_side_draw(rng: np.random.Generator, kind: str):
    if kind == "standard_normal":
        return rng.standard_normal()
    if kind == "exponential":
        return rng.exponential(2.5)
    if kind == "integers_array":
        return rng.integers(0, 5, size=3).tolist()
    return int(rng.geometric(0.2))


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**63 - 1), ops=st.lists(op, min_size=1, max_size=60))
def test_the_same_numbers_as_numpy_in_any_interleaving(seed, ops):
    plain = np.random.default_rng(seed)
    shared = np.random.default_rng(seed)
    draws = ScalarDraws(shared)
    for step in ops:
        if step[0] == "integers":
            _, low, width = step
            assert draws.integers(low, low + width) == int(plain.integers(low, low + width))
        elif step[0] == "random":
            assert draws.random() == plain.random()
        else:
            assert numpy_side_draw(shared, step[1]) == numpy_side_draw(plain, step[1])
    assert shared.random() == plain.random()  # the streams end in the same place


def test_results_are_python_numbers_in_range():
    draws = ScalarDraws(np.random.default_rng(3))
    values = [draws.integers(-5, 6) for _ in range(2_000)]
    assert all(type(v) is int for v in values) and set(values) == set(range(-5, 6))
    assert type(draws.random()) is float


def test_bad_input_is_refused_with_the_field_named():
    with pytest.raises(ValueError, match="rng must be a numpy Generator"):
        ScalarDraws(np.random.RandomState(1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="high must be > low"):
        ScalarDraws(np.random.default_rng(1)).integers(5, 5)

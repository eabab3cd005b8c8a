"""Synthetic clients: deterministic per (seed, day), the shift moves the population, bad args."""

from __future__ import annotations

import numpy as np
import pytest

from components.models.features import columns, feature_matrix
from scenarios.clients_synth import generate_clients


def test_same_seed_and_day_give_the_same_clients_and_outcomes():
    a, b = generate_clients(7, 3, 200), generate_clients(7, 3, 200)
    assert a.clients == b.clients
    assert np.array_equal(a.churned, b.churned) and np.array_equal(a.best_action, b.best_action)
    assert generate_clients(7, 4, 200).clients != a.clients
    assert generate_clients(8, 3, 200).clients != a.clients


def test_the_shift_moves_the_population_the_documented_way():
    before = columns(feature_matrix(generate_clients(7, 1, 2_000).clients))
    after = columns(feature_matrix(generate_clients(7, 1, 2_000, shift=1.0).clients))
    assert after["age"].mean() < before["age"].mean() - 10
    assert after["logins_30d"].mean() > before["logins_30d"].mean() + 3
    assert after["advisor_contacts_90d"].mean() < before["advisor_contacts_90d"].mean()


@pytest.mark.parametrize("kwargs, message", [({"n": 0}, "n: must be a positive integer"),
                                             ({"day": -1}, "day: must be an integer >= 0"),
                                             ({"shift": 1.5}, "shift: must be within [0, 1]")])
def test_bad_arguments_name_the_argument(kwargs, message):
    args = {"seed": 1, "day": 0, "n": 10} | kwargs
    with pytest.raises(ValueError) as err:
        generate_clients(**args)
    assert str(err.value).startswith(message)

"""The drift demo's control-plane path: a model change reaches serving only when the registry agrees."""

from __future__ import annotations

import pytest

from components.governance.store import InMemoryModelStore
from twin.governance_demo import DemoConfig, _Demo


def test_a_model_change_for_a_version_not_in_production_is_refused_and_serving_keeps_its_model():
    demo = _Demo(DemoConfig(), InMemoryModelStore())
    demo._publish(0, "churn", "v1")
    (record,) = demo.events
    assert record.kind == "config_refused" and record.reason == "model churn: v1 is not in production"
    assert record.get("config_version") == 1
    assert demo.serving == {} and demo.copy.refused == [(1, "model churn: v1 is not in production")]


def test_the_shift_ramps_from_the_shift_day():
    cfg = DemoConfig(shift_day=12, ramp_days=4)
    assert [cfg.shift(d) for d in (11, 12, 13, 15, 20)] == [0.0, 0.25, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("kwargs, message", [({"days": 0}, "days: must be >= 1"),
                                             ({"shift_day": 3}, "shift_day: must be after second_version_day"),
                                             ({"daily_clients": 0}, "daily_clients: must be >= 1")])
def test_bad_config_names_the_field(kwargs, message):
    with pytest.raises(ValueError) as err:
        DemoConfig(**kwargs)
    assert str(err.value).startswith(message)

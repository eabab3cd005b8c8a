"""The control-plane and AI/analytics fault classes: registration, refusals, swarm draws, scheduling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaos.faults import KINDS, WorldShape
from chaos.faults.analytics import Analytics, AnalyticsFailing, AnalyticsSlow
from chaos.faults.control_plane import ControlPlane, ControlPlaneOutage

NS = 1_000_000_000
OPEN = 1_764_000_000 * NS
SHAPE = WorldShape(OPEN, OPEN + 1800 * NS, ("gateway",), ("XNAS",))


class _Recorder:
    """A FaultWorld whose mechanisms record (time, call) when the scheduled actions run."""

    def __init__(self):
        self.booked: list[tuple[int, object]] = []
        self.calls: list[tuple[int, str, tuple]] = []
        self.now = 0
        self.ports: list[type] = []

    def schedule_at(self, t_ns, action):
        self.booked.append((t_ns, action))

    def mechanism(self, port):
        self.ports.append(port)
        world = self

        class _Mechanism:
            def __getattr__(self, name):
                return lambda *args: world.calls.append((world.now, name, args))

        return _Mechanism()

    def run(self):
        for t_ns, action in sorted(self.booked, key=lambda b: b[0]):
            self.now = t_ns
            action()


def test_the_kinds_are_registered_under_their_families():
    assert KINDS["control_plane_outage"] is ControlPlaneOutage and ControlPlaneOutage.family == "control_plane"
    assert KINDS["analytics_slow"] is AnalyticsSlow and KINDS["analytics_failing"] is AnalyticsFailing
    assert AnalyticsSlow.family == AnalyticsFailing.family == "analytics"


def test_an_outage_goes_down_then_comes_back_on_the_control_plane():
    world = _Recorder()
    ControlPlaneOutage(OPEN + 5 * NS, 60 * NS).schedule(world)
    world.run()
    assert world.ports == [ControlPlane]
    assert world.calls == [(OPEN + 5 * NS, "outage", ()), (OPEN + 65 * NS, "restore", ())]


@pytest.mark.parametrize("fault, start", [(AnalyticsSlow(OPEN, 10 * NS, 8.0), ("slow", (8.0,))),
                                          (AnalyticsFailing(OPEN, 10 * NS, 0.25), ("fail", (0.25,)))])
def test_an_analytics_fault_starts_then_heals(fault, start):
    world = _Recorder()
    fault.schedule(world)
    world.run()
    assert world.ports == [Analytics]
    assert world.calls == [(OPEN, *start), (OPEN + 10 * NS, "heal", ())]


@pytest.mark.parametrize("make, field", [
    (lambda: ControlPlaneOutage(OPEN, 0), "duration_ns"),
    (lambda: AnalyticsSlow(OPEN, -1), "duration_ns"),
    (lambda: AnalyticsSlow(OPEN, NS, 0.5), "factor"),
    (lambda: AnalyticsFailing(OPEN, NS, 1.5), "probability"),
])
def test_bad_values_are_refused_naming_the_field(make, field):
    with pytest.raises(ValueError, match=rf"^{field}: "):
        make()


@given(st.integers(0, 2**32 - 1))
def test_draws_fit_the_session_and_repeat_with_the_seed(seed):
    for cls in (ControlPlaneOutage, AnalyticsSlow, AnalyticsFailing):
        one = cls.draw(np.random.default_rng(seed), SHAPE)
        assert one == cls.draw(np.random.default_rng(seed), SHAPE)
        assert SHAPE.open_ns <= one.at_ns and one.at_ns + one.duration_ns <= SHAPE.close_ns
        assert one.describe().startswith(cls.kind + ": ")

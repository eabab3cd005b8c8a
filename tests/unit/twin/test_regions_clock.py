"""Region clocks (twin.region_clock): skew, drift, jumps, timers on a region's clock, and the
primary's clock whose timers die with their region."""

from __future__ import annotations

import simpy
from hypothesis import given
from hypothesis import strategies as st

from twin.clock import SimClock
from twin.region_clock import PrimaryClock, RegionClock

EPOCH = 1_795_530_600 * 1_000_000_000
S = 1_000_000_000


def _sim() -> SimClock:
    return SimClock(simpy.Environment(), EPOCH)


def test_skew_and_drift_transform_true_time():
    sim = _sim()
    clock = RegionClock(sim, skew_ns=2_000_000, drift_ppm=100)
    assert clock.now_ns() == EPOCH + 2_000_000
    sim.env.run(until=10 * S)
    assert clock.now_ns() == EPOCH + 10 * S + 2_000_000 + 1_000_000  # 100 ppm of 10 s = 1 ms


def test_drift_change_and_jump_keep_the_reading_continuous_then_step():
    sim = _sim()
    clock = RegionClock(sim, drift_ppm=1_000)
    sim.env.run(until=S)
    before = clock.now_ns()
    clock.set_drift(0)
    assert clock.now_ns() == before == EPOCH + S + 1_000_000
    clock.jump(-5 * S)
    assert clock.now_ns() == before - 5 * S and clock.jumps == 1
    sim.env.run(until=2 * S)
    assert clock.now_ns() == before - 5 * S + S


@given(st.integers(-50_000, 50_000), st.integers(-10**9, 10**9), st.integers(0, 10**12))
def test_a_timer_fires_the_first_moment_the_region_clock_reads_its_time(ppm, skew, ahead):
    sim = _sim()
    clock = RegionClock(sim, skew_ns=skew, drift_ppm=ppm)
    when = clock.now_ns() + ahead
    fired = []
    clock.call_at(when, lambda: fired.append(clock.now_ns()))
    sim.env.run()
    assert fired and fired[0] >= when
    t = sim.env.now + EPOCH
    assert t == EPOCH or clock.at(t - 1) < when  # one nanosecond earlier would have been too early


def test_primary_clock_follows_the_primary_and_drops_a_stopped_regions_timers():
    sim = _sim()
    clocks = {"east": RegionClock(sim), "west": RegionClock(sim, skew_ns=S)}
    primary = PrimaryClock(clocks, "east")
    assert primary.now_ns() == EPOCH
    fired = []
    primary.call_at(EPOCH + S, lambda: fired.append("east timer"))
    primary.stopped.add("east")
    primary.primary = "west"
    assert primary.now_ns() == EPOCH + S
    primary.call_at(EPOCH + 3 * S, lambda: fired.append("west timer"))
    sim.env.run()
    assert fired == ["west timer"] and sim.env.now == 2 * S  # west reads 3 s when true time is 2 s

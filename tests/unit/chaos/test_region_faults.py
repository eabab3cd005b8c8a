"""Region and clock fault classes (chaos.faults.regions, chaos.faults.clocks): registration, refusals,
swarm draws (None without two regions, deterministic per seed) and what each books on a world."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaos.faults import KINDS
from chaos.faults.clocks import ClockDrift, ClockJump, ClockMechanism
from chaos.faults.regions import RegionKill, RegionMechanism, RegionPartition, SwizzleClog

from .faultkit import NS, OPEN_NS, SHAPE, FakeWorld

TWO = replace(SHAPE, regions=("east", "west"))
REGION_KINDS = (RegionKill, RegionPartition, SwizzleClog, ClockDrift, ClockJump)


def test_every_region_and_clock_kind_is_registered():
    for cls in REGION_KINDS:
        assert KINDS[cls.kind] is cls
    assert {cls.family for cls in REGION_KINDS} == {"regions", "clocks"}


@pytest.mark.parametrize("cls", REGION_KINDS)
@pytest.mark.parametrize("regions", [(), ("east",)])
def test_no_draw_without_two_regions(cls, regions):
    assert cls.draw(np.random.default_rng(1), replace(SHAPE, regions=regions)) is None


@pytest.mark.parametrize("cls", REGION_KINDS)
def test_draws_fit_the_world_and_repeat_per_seed(cls):
    for seed in range(20):
        fault = cls.draw(np.random.default_rng(seed), TWO)
        assert fault == cls.draw(np.random.default_rng(seed), TWO)
        assert SHAPE.open_ns <= fault.at_ns < SHAPE.close_ns
        for name in ("region", "peer"):
            if hasattr(fault, name):
                assert getattr(fault, name) in TWO.regions
    assert RegionKill.draw(np.random.default_rng(3), TWO).region == "east"  # the primary


@given(st.integers(0, 2**32 - 1), st.integers(1, 3600))
def test_a_drawn_swizzle_clog_restores_every_link_before_the_close(seed, span_s):
    shape = replace(TWO, close_ns=TWO.open_ns + span_s * NS)
    world = FakeWorld()
    SwizzleClog.draw(np.random.default_rng(seed), shape).schedule(world)
    times = world.run()
    assert shape.open_ns <= min(times) and max(times) <= shape.close_ns


def test_region_kill_books_the_kill_at_its_time():
    world = FakeWorld()
    RegionKill("east", OPEN_NS + 5 * NS).schedule(world)
    assert world.run() == [OPEN_NS + 5 * NS]
    assert world.mechanisms[RegionMechanism].calls == [("kill_region", ("east",))]


def test_partition_cuts_then_heals_with_its_tokens():
    world = FakeWorld()
    RegionPartition("east", "west", OPEN_NS, 2 * NS, one_way=True).schedule(world)
    assert world.run() == [OPEN_NS, OPEN_NS + 2 * NS]
    calls = world.mechanisms[RegionMechanism].calls
    assert calls == [("partition", ("east", "west", True)), ("heal", ("east", "west", "token-1"))]


def test_swizzle_clog_slows_links_in_order_and_restores_in_the_drawn_order():
    world = FakeWorld()
    links = (("east", "west"), ("west", "east"))
    SwizzleClog(links, (1, 0), OPEN_NS, NS, 50.0, hold_ns=3 * NS).schedule(world)
    times = world.run()
    calls = world.mechanisms[RegionMechanism].calls
    assert [c[0] for c in calls] == ["slow_link", "slow_link", "heal", "heal"]
    assert [c[1][:2] for c in calls] == [("east", "west"), ("west", "east"), ("west", "east"), ("east", "west")]
    assert calls[2][1][2] == "token-2" and calls[3][1][2] == "token-1"  # each heal lifts its own clog
    assert times == [OPEN_NS, OPEN_NS + NS, OPEN_NS + 4 * NS, OPEN_NS + 5 * NS]


def test_clock_faults_book_drift_with_reset_and_a_jump():
    world = FakeWorld()
    ClockDrift("west", OPEN_NS, 10 * NS, 250).schedule(world)
    ClockJump("east", OPEN_NS + NS, -1500.0).schedule(world)
    world.run()
    assert world.mechanisms[ClockMechanism].calls == [
        ("set_clock_drift", ("west", 250)), ("jump_clock", ("east", -1_500_000_000)),
        ("set_clock_drift", ("west", 0))]


@pytest.mark.parametrize("make, field", [
    (lambda: RegionKill("", OPEN_NS), "region"),
    (lambda: RegionPartition("east", "east", OPEN_NS, NS), "peer"),
    (lambda: RegionPartition("east", "west", OPEN_NS, 0), "duration_ns"),
    (lambda: SwizzleClog((), (), OPEN_NS, NS, 5.0), "links"),
    (lambda: SwizzleClog((("east", "west"),), (1,), OPEN_NS, NS, 5.0), "restore"),
    (lambda: SwizzleClog((("east", "west"),), (0,), OPEN_NS, 0, 5.0), "step_ns"),
    (lambda: ClockDrift("west", OPEN_NS, NS, 0), "drift_ppm"),
    (lambda: ClockJump("west", OPEN_NS, 0.0), "jump_ms"),
])
def test_bad_parameters_are_refused_naming_the_field(make, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        make()


@given(st.integers(min_value=-10**7, max_value=10**7))
def test_drift_out_of_range_is_refused_in_range_accepted(ppm):
    if ppm == 0 or abs(ppm) > 100_000:
        with pytest.raises(ValueError, match="^drift_ppm: "):
            ClockDrift("west", OPEN_NS, NS, ppm)
    else:
        assert ClockDrift("west", OPEN_NS, NS, ppm).drift_ppm == ppm

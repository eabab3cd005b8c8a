"""The catalogue: every family registered on import, every kind drawable, deterministic and valid."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields

import numpy as np
import pytest

import chaos.faults
from chaos.faults import KINDS, Fault, register
from chaos.faults.catalogue import draw_window, schedule_window
from tests.unit.chaos.faultkit import SHAPE, FakeWorld

MINE = ("service_crash", "service_crash_mid_append", "venue_down", "venue_slow", "venue_stale_book",
        "venue_reject_storm", "venue_submit_only_down", "message_loss", "message_duplication", "message_reorder",
        "stored_event_corruption")


def test_importing_the_package_registers_every_family():
    assert set(MINE) <= set(chaos.faults.KINDS)
    families = {KINDS[k].family for k in MINE}
    assert families == {"services", "venues", "network", "storage"}


@pytest.mark.parametrize("kind", MINE)
def test_a_draw_is_a_valid_frozen_fault_that_fits_the_shape(kind):
    cls = KINDS[kind]
    fault = cls.draw(np.random.default_rng(3), SHAPE)
    assert isinstance(fault, cls) and fault.kind == kind
    assert SHAPE.open_ns <= fault.at_ns < SHAPE.close_ns
    if "duration_ns" in {f.name for f in fields(fault)}:
        assert fault.at_ns + fault.duration_ns <= SHAPE.close_ns
    with pytest.raises(FrozenInstanceError):
        fault.at_ns = 0  # type: ignore[misc]
    assert kind in fault.describe()


@pytest.mark.parametrize("kind", MINE)
def test_the_same_seed_draws_the_same_fault(kind):
    cls = KINDS[kind]
    draws = [cls.draw(np.random.default_rng(11), SHAPE) for _ in range(2)]
    assert draws[0] == draws[1]
    assert draws[0] != cls.draw(np.random.default_rng(12), SHAPE)


def test_a_world_without_venues_or_services_gets_no_such_faults():
    from dataclasses import replace

    bare = replace(SHAPE, services=(), venues=())
    rng = np.random.default_rng(1)
    for kind in ("service_crash", "service_crash_mid_append", "venue_down", "venue_reject_storm"):
        assert KINDS[kind].draw(rng, bare) is None


def test_a_kind_registered_twice_by_another_class_is_refused():
    class Impostor(Fault):
        kind = "venue_down"
        family = "venues"

    with pytest.raises(ValueError, match="registered twice"):
        register(Impostor)


def test_a_window_begins_then_ends_with_what_begin_returned():
    world, seen = FakeWorld(), []
    schedule_window(world, 200, 50, lambda: "tok", seen.append)
    assert world.run() == [200, 250]
    assert seen == ["tok"]


def test_drawn_windows_end_by_the_close():
    rng = np.random.default_rng(5)
    for _ in range(200):
        start, duration = draw_window(rng, SHAPE, max_s=7200.0)
        assert SHAPE.open_ns <= start and duration > 0 and start + duration <= SHAPE.close_ns


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_description_reads_in_session_time_without_a_repr(kind):
    """Swarm summaries and game-day reports show ``describe()``: no class repr, no epoch nanoseconds."""
    from chaos.faults.catalogue import fault_time as session_time

    fault = KINDS[kind].draw(np.random.default_rng(3), SHAPE)
    if fault is None:  # a kind that does not fit this world's shape (a region fault in one region)
        return
    text = fault.describe()
    assert text.startswith(f"{kind}: ") and f"from {session_time(fault.at_ns)}" in text
    assert "at_ns" not in text and "duration_ns" not in text and "(" not in text.split(": ", 1)[1]
    if "duration_ns" in {f.name for f in fields(fault)}:
        assert f"{fault.duration_ns / 1e9:g} s" in text


def test_session_time_is_new_york_time_of_day():
    from chaos.faults.catalogue import fault_time as session_time

    assert session_time(1795530600000000000) == "09:30:00"  # 2026-11-24 14:30:00 UTC
    assert session_time(1795530600250000000) == "09:30:00.250"

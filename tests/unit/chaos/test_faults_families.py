"""Each family's faults: what they refuse, and the calls they book on their mechanism, when."""

from __future__ import annotations

import pytest

from chaos.faults.network import ANY, LinkImpairment, MessageDuplication, MessageLoss, MessageReorder, NetworkMechanism
from chaos.faults.services import ServiceCrash, ServiceCrashMidAppend, ServiceMechanism
from chaos.faults.storage import StorageMechanism, StoredEventCorruption
from chaos.faults.venues import (
    BY_CONDITION,
    Impairment,
    VenueDown,
    VenueMechanism,
    VenueRejectStorm,
    VenueSlow,
    VenueStaleBook,
    VenueSubmitOnlyDown,
)
from tests.unit.chaos.faultkit import NS, OPEN_NS, FakeWorld


def booked(fault, port):
    world = FakeWorld()
    fault.schedule(world)
    times = world.run()
    return times, world.mechanism(port).calls


# ----------------------------------------------------------------- services


def test_a_crash_kills_the_service_at_its_time_for_its_restart():
    times, calls = booked(ServiceCrash("oms", OPEN_NS + 5, 250.0), ServiceMechanism)
    assert times == [OPEN_NS + 5]
    assert calls == [("crash", ("oms", 250_000_000))]


def test_a_mid_append_crash_arms_the_service_with_how_many_events_it_stores():
    times, calls = booked(ServiceCrashMidAppend("post_trade", OPEN_NS, stored=2, restart_ms=10.0), ServiceMechanism)
    assert calls == [("crash_mid_append", ("post_trade", 2, 10_000_000))]


@pytest.mark.parametrize("make, field", [
    (lambda: ServiceCrash("", 0), "service"),
    (lambda: ServiceCrash("oms", 0, restart_ms=0.0), "restart_ms"),
    (lambda: ServiceCrash("oms", 0, restart_ms=600_001.0), "restart_ms"),
    (lambda: ServiceCrashMidAppend("oms", 0, stored=0), "stored"),
])
def test_service_faults_refuse_bad_values_naming_the_field(make, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        make()


# ----------------------------------------------------------------- venues


@pytest.mark.parametrize("fault, impairment", [
    (VenueDown("XNAS", OPEN_NS, 60 * NS), Impairment("DOWN")),
    (VenueSlow("XNAS", OPEN_NS, 60 * NS, extra_ms=25.0), Impairment("SLOW", extra_ms=25.0)),
    (VenueStaleBook("XNAS", OPEN_NS, 60 * NS), Impairment("STALE_BOOK")),
    (VenueRejectStorm("XNAS", OPEN_NS, 60 * NS, fraction=0.3, stream="s"), Impairment("REJECT_STORM", 0.0, 0.3, "s")),
    (VenueSubmitOnlyDown("XNAS", OPEN_NS, 60 * NS), Impairment("SUBMIT_ONLY_DOWN")),
])
def test_a_venue_fault_impairs_for_its_window_then_heals_what_it_impaired(fault, impairment):
    times, calls = booked(fault, VenueMechanism)
    assert times == [OPEN_NS, OPEN_NS + 60 * NS]
    assert calls == [("impair", ("XNAS", impairment)), ("heal", ("token-1",))]


def test_every_stress_condition_has_its_fault_class():
    from venues_sim.stress import KINDS as CONDITIONS

    assert sorted(BY_CONDITION) == sorted(CONDITIONS)
    assert all(cls.condition == kind for kind, cls in BY_CONDITION.items())


def test_a_reject_storm_without_a_stream_gets_its_own():
    a = VenueRejectStorm("XNAS", OPEN_NS, NS).impairment().stream
    b = VenueRejectStorm("XNAS", OPEN_NS + 1, NS).impairment().stream
    assert a and b and a != b


@pytest.mark.parametrize("make, field", [
    (lambda: VenueDown("", 0, NS), "venue"),
    (lambda: VenueDown("XNAS", 0, 0), "duration_ns"),
    (lambda: VenueSlow("XNAS", 0, NS, extra_ms=-1.0), "extra_ms"),
    (lambda: VenueRejectStorm("XNAS", 0, NS, fraction=1.5), "fraction"),
])
def test_venue_faults_refuse_bad_values_naming_the_field(make, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        make()


# ----------------------------------------------------------------- network


@pytest.mark.parametrize("fault, impairment", [
    (MessageLoss(OPEN_NS, NS, 0.2, redelivery_ms=300.0), LinkImpairment(loss=0.2, redelivery_ms=300.0)),
    (MessageDuplication(OPEN_NS, NS, 0.1), LinkImpairment(duplicate=0.1)),
    (MessageReorder(OPEN_NS, NS, 0.4, max_delay_ms=9.0), LinkImpairment(reorder=0.4, reorder_ms=9.0)),
])
def test_a_bus_fault_impairs_every_link_by_default_for_its_window(fault, impairment):
    times, calls = booked(fault, NetworkMechanism)
    assert times == [OPEN_NS, OPEN_NS + NS]
    assert calls == [("impair_link", (ANY, ANY, impairment)), ("heal_link", ("token-1",))]


def test_a_bus_fault_can_hit_one_link():
    _, calls = booked(MessageLoss(OPEN_NS, NS, 0.2, src="oms", dst="router"), NetworkMechanism)
    assert calls[0][1][:2] == ("oms", "router")


@pytest.mark.parametrize("make, field", [
    (lambda: MessageLoss(0, NS, probability=-0.1), "probability"),
    (lambda: MessageDuplication(0, NS, probability=2.0), "probability"),
    (lambda: MessageLoss(0, NS, redelivery_ms=0.0), "redelivery_ms"),
    (lambda: MessageReorder(0, NS, max_delay_ms=-3.0), "max_delay_ms"),
    (lambda: MessageReorder(0, -1), "duration_ns"),
    (lambda: MessageLoss(0, NS, src=""), "src"),
])
def test_bus_faults_refuse_bad_values_naming_the_field(make, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        make()


# ----------------------------------------------------------------- storage


def test_a_corruption_asks_for_its_position_and_flips_on_its_own_stream():
    times, calls = booked(StoredEventCorruption(OPEN_NS + 9, position=0.25, flips=3), StorageMechanism)
    assert times == [OPEN_NS + 9]
    ((name, (position, flips, stream)),) = calls
    assert (name, position, flips) == ("corrupt", 0.25, 3)
    assert stream == f"fault:stored_event_corruption:{OPEN_NS + 9}"


@pytest.mark.parametrize("make, field", [
    (lambda: StoredEventCorruption(0, position=1.01), "position"),
    (lambda: StoredEventCorruption(0, flips=0), "flips"),
    (lambda: StoredEventCorruption(0, flips=65), "flips"),
])
def test_storage_faults_refuse_bad_values_naming_the_field(make, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        make()

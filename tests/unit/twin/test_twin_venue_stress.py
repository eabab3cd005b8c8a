"""Venue stress in full twin runs: the platform's reaction, invariants still hold.

Each test runs the smoke scenario (30 minutes, XNAS and BATS) with a stress
entry on XNAS and checks what the router and OMS did about it.
"""

from __future__ import annotations

from components.domain.events import EventType
from scenarios.config import builtin_scenario_path, parse_scenario
from twin.runner import run_scenario

NS = 1_000_000_000
XNAS_LINE = '  - {name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}\n'
BATS_LINE = '  - {name: BATS, maker_rebate: "0.0025", taker_fee: "0.0030", latency_ms: 0.7}\n'


def smoke_with(stress: str, extra: str = "", seed: int = 7, cancel_fraction: float = 0.05, line: str = XNAS_LINE):
    text = builtin_scenario_path("smoke").read_text()
    assert line in text
    text = text.replace(line, line.rstrip("}\n") + f", stress: [{stress}]}}\n") + extra
    text = text.replace("cancel_fraction: 0.05", f"cancel_fraction: {cancel_fraction}")
    return run_scenario(parse_scenario(text, "smoke+stress"), seed=seed)  # raises on a broken invariant


def routed_children(result):
    """(event time, venue, child id) of every child the router planned."""
    for e in result.world.log.read():
        if e.event_type in (EventType.ORDER_ROUTED, EventType.ORDER_REROUTED):
            for c in e.details["children"]:
                yield e.timestamp_utc, c["venue"], c["child_id"]


def window_of(result):
    (w,) = result.world.stress
    return w.window.start_ns, w.window.end_ns


def test_never_routes_to_a_down_venue():
    result = smoke_with('{kind: DOWN, at: "09:35", duration_s: 900}')
    start, end = window_of(result)
    during = [v for t, v, _ in routed_children(result) if start <= t < end]
    assert during and "XNAS" not in during
    assert any(v == "XNAS" for t, v, _ in routed_children(result) if t >= end)  # back in use afterwards


def test_random_outages_are_seeded():
    stress = "{kind: DOWN, rate_per_hour: 12, duration_s: 60}"
    a, b = smoke_with(stress, seed=3), smoke_with(stress, seed=3)
    assert a.world.stress and a.world.stress == b.world.stress and a.fingerprint == b.fingerprint
    assert smoke_with(stress, seed=4).world.stress != a.world.stress


def test_rejected_leaves_are_rerouted_elsewhere():
    result = smoke_with('{kind: REJECT_STORM, at: "09:30", duration_s: 1800, fraction: 1.0}')
    events = list(result.world.log.read())
    rejects = [e for e in events if e.event_type is EventType.CHILD_ORDER_REJECTED]
    assert rejects and {(e.details["venue"], e.details["reason"]) for e in rejects} == {("XNAS", "VENUE_THROTTLED")}
    rerouted = [e for e in events if e.event_type is EventType.ORDER_REROUTED]
    assert rerouted
    assert all(c["venue"] == "BATS" for e in rerouted for c in e.details["children"])
    assert not [f for f in result.world.gateway.venue_fills if f.venue == "XNAS"]


def test_a_stale_book_venue_is_avoided_once_its_quote_is_too_old():
    result = smoke_with('{kind: STALE_BOOK, at: "09:35", duration_s: 900}', "routing: {max_quote_age_ms: 500}\n")
    start, end = window_of(result)
    stale = [v for t, v, _ in routed_children(result) if start + NS // 2 < t < end]
    assert stale and "XNAS" not in stale
    assert any(v == "XNAS" for t, v, _ in routed_children(result) if t < start)


def test_cancels_refused_while_submit_only_down_leave_children_working():
    # BATS pays the best rebate, so resting children (the ones clients cancel) sit there.
    result = smoke_with('{kind: SUBMIT_ONLY_DOWN, at: "09:30", duration_s: 1800}', cancel_fraction=0.5,
                        line=BATS_LINE)
    refused = result.world.gateway.cancel_rejects
    assert refused
    assert all(r.venue == "BATS" and r.reason == "CANCEL_UNAVAILABLE" for r in refused)
    # Invariants (fills match the venue's, every order terminal) hold: run_scenario raised otherwise.
    assert result.passed


def test_slow_links_delay_reports():
    result = smoke_with('{kind: SLOW, at: "09:30", duration_s: 1800, extra_ms: 200}')
    fills = [e for e in result.world.log.read()
             if e.event_type in (EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED)]
    xnas = [e.recorded_at - e.timestamp_utc for e in fills if e.details["venue"] == "XNAS"]
    bats = [e.recorded_at - e.timestamp_utc for e in fills if e.details["venue"] == "BATS"]
    assert xnas and bats
    assert min(xnas) >= 200_000_000 > max(bats)

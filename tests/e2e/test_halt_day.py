"""``halt_day``: a halt and a LULD pause reopened by auctions, and an SSR day carried to the next, in
full twin runs (the platform's router and OMS against the simulated venues). ``halt_day`` reopens on the
primary only (``reopening: primary``): XNAS runs the auctions, BATS resumes after XNAS's print."""

from __future__ import annotations

from collections import Counter

import pytest

from components.domain.events import EventType
from scenarios.config import load_scenario, parse_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline
from tests.e2e.test_twin_determinism import fingerprint_in_new_process
from twin.market_rules import installed_rules, ssr_carry
from twin.runner import run_scenario
from venues_sim.auction import Reopening
from venues_sim.reopening import Resumption
from venues_sim.rules import LuldPlan, ShortSaleRestriction, TradingHalt, luld_band_width

NS = 1_000_000_000
FILLS = (EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED)


@pytest.fixture(scope="module")
def run():
    return run_scenario(load_scenario(SCENARIOS / "halt_day.yaml"))  # raises on a broken invariant


def rule(result, kind):
    (found,) = [r for r in installed_rules(result.world) if type(r) is kind]
    return found


def test_halt_day_is_deterministic_across_processes(run):
    assert_baseline("halt_day.yaml", run.fingerprint)
    assert fingerprint_in_new_process("halt_day.yaml") == run.fingerprint


def routed_at(events) -> dict[str, int]:
    """Child id -> when the router sent it."""
    return {c["child_id"]: e.timestamp_utc for e in events
            if e.event_type in (EventType.ORDER_ROUTED, EventType.ORDER_REROUTED) for c in e.details["children"]}


def check_window(events, symbol: str, start: int, end: int, venue_reason: str) -> None:
    """While ``symbol`` is halted or paused: what cannot wait is refused with ``venue_reason`` and the
    order rejected SYMBOL_HALTED, never rerouted; none of our orders trades."""
    mine = [e for e in events if e.symbol == symbol]
    rejected = {e.order_id for e in mine if e.event_type is EventType.ORDER_REJECTED and start <= e.timestamp_utc < end}
    assert rejected, "some market or IOC order should have met the halt"
    for order_id in rejected:
        story = [(e.event_type, (e.details or {}).get("reason")) for e in mine if e.order_id == order_id]
        assert (EventType.CHILD_ORDER_REJECTED, venue_reason) in story
        assert story[-1] == (EventType.ORDER_REJECTED, "SYMBOL_HALTED")
        assert EventType.ORDER_REROUTED not in [t for t, _ in story]
    assert not [e for e in mine if e.event_type in FILLS and start < e.timestamp_utc < end]


def check_auction_fills(events, reopenings, symbol: str, at: int, routed_before: int | None = None,
                        required: bool = True) -> None:
    """Every execution of ours in the reopening auctions is an OMS fill at the venue's one cross
    price, inside the order's limit (``required``: there is one)."""
    ours = {}
    for venue, when, reopening in reopenings:
        if when != at or reopening.symbol != symbol or not isinstance(reopening, Reopening):
            continue
        assert {f.price for f in reopening.fills} <= {reopening.cross.price}
        for f in reopening.fills:
            for child_id, owner in ((f.buy_id, f.buy_owner), (f.sell_id, f.sell_owner)):
                if owner == "BD":
                    ours.setdefault(child_id, []).append(f.price)
    assert ours or not required, "some order of ours should have waited for the auction"
    fills = {}
    for e in events:
        if e.event_type in FILLS and e.timestamp_utc == at and e.details["child_id"] in ours:
            fills.setdefault(e.details["child_id"], []).append((e.details["last_px"], e.side, e.limit_price))
    assert set(fills) == set(ours)
    for child_id, prices in ours.items():
        # Each auction execution is an OMS fill (continuous trading may fill the rest at the same instant).
        assert not Counter(prices) - Counter(px for px, _, _ in fills[child_id])
        for px, side, limit in fills[child_id]:
            assert limit is None or (px <= limit if side == "BUY" else px >= limit)
    if routed_before is not None:  # resting orders were held through the halt and crossed too
        sent = routed_at(events)
        assert any(sent[c] < routed_before for c in ours)


def test_a_halt_refuses_what_cannot_wait_and_reopens_with_an_auction(run):
    world = run.world
    halt = rule(run, TradingHalt)
    start = world.scenario.session.open_ns() + 600 * NS  # 09:40
    end = start + 300 * NS
    events = list(world.log.read())
    check_window(events, "AAPL", start, end, "HALTED")
    assert [(v, at, type(s)) for v, at, s in halt.reopenings] == [("XNAS", end, Reopening), ("BATS", end, Resumption)]
    # Our AAPL orders rested (or were held) on BATS, the best rebate: none was in XNAS's auction.
    check_auction_fills(events, halt.reopenings, "AAPL", end, required=False)
    check_resumed_after_the_primary(events, halt.reopenings, "AAPL", start, end)


def check_resumed_after_the_primary(events, reopenings, symbol: str, start: int, end: int,
                                    resting_through: bool = True) -> None:
    """Our DAY orders at BATS (not the primary) got nothing while the symbol was halted, and their first
    executions at the reopening come after XNAS's auction fills in the log (BATS resumed after its print);
    they are continuous executions (maker or taker), not auction ones."""
    (resumption,) = [s for v, at, s in reopenings if at == end and isinstance(s, Resumption) and s.symbol == symbol]
    assert resumption.released > 0  # orders were held at BATS for the reopening
    fills = [e for e in events if e.symbol == symbol and e.event_type in FILLS and start < e.timestamp_utc <= end]
    venues = [e.details["venue"] for e in fills]
    assert all(e.timestamp_utc == end for e in fills)  # nothing during the halt
    assert "BATS" in venues
    if "XNAS" in venues:
        xnas_last = max(i for i, v in enumerate(venues) if v == "XNAS")
        assert all(i > xnas_last for i, v in enumerate(venues) if v == "BATS")  # every BATS fill after XNAS's
    sent = routed_at(events)
    assert any(sent[e.details["child_id"]] < start for e in fills if e.details["venue"] == "BATS") \
        or not resting_through, "an order resting at BATS through the halt should have traded once BATS resumed"


def test_a_limit_state_of_15_seconds_pauses_meme_for_five_minutes_and_an_auction_reopens_it(run):
    world = run.world
    luld = rule(run, LuldPlan)
    story = [(at, what, price) for at, symbol, what, price in luld.events if symbol == "MEME" and what != "REFERENCE"]
    pauses = [i for i, (_, what, _) in enumerate(story) if what == "PAUSE"]
    assert pauses, "MEME's run should reach a band and stay there"
    i = pauses[0]
    (began, what, _), (paused, _, _), (reopened, reopen, price) = story[i - 1], story[i], story[i + 1]
    assert what == "LIMIT_STATE" and paused - began == 15 * NS
    assert reopen == "REOPEN" and reopened - paused == 300 * NS and price > 0
    events = list(world.log.read())
    check_window(events, "MEME", paused, reopened, "LULD_PAUSE")
    check_auction_fills(events, luld.reopenings, "MEME", reopened, required=False)
    check_resumed_after_the_primary(events, luld.reopenings, "MEME", paused, reopened, resting_through=False)
    steps = [(v, s) for v, at, s in luld.reopenings if at == reopened]
    assert [(v, type(s)) for v, s in steps] == [("XNAS", Reopening), ("BATS", Resumption)]
    # BATS resumed once the plan had taken XNAS's reopening price: its trades are inside the new band.
    width = luld_band_width(1, price, False)
    assert steps[1][1].fills and all(price - width <= f.price <= price + width for f in steps[1][1].fills)


def test_the_gap_down_triggers_ssr_and_the_end_of_day_state_carries_it(run):
    ssr = rule(run, ShortSaleRestriction)
    assert set(ssr.triggered) == {"MEME"} and ssr_carry(run.world) == ("MEME",)


# ------------------------------------------------------------------------------ an SSR day

SSR_DAY = """
name: ssr_day
seed: 5
session: {{date: "2026-11-24", open: "09:30", close: "09:45"}}
symbols:
  - {{symbol: AAPL, reference_price: "190.00"}}
  - {{symbol: MEME, reference_price: "20.00", daily_vol_bps: 400}}
venues: [{{name: XNAS}}, {{name: BATS}}]
population: {{advisors: 3, clients_per_advisor: 4, sanctioned_clients: 0}}
order_flow: {{orders: 150, market_fraction: 0.5}}
liquidity: {{noise_traders: 2}}
market_rules: {rules}
"""


def every_sell_short(world) -> None:
    """A wealth account cannot sell short through risk; for this test the router is told every
    account is flat, so each sell goes out marked short (the router's own short-marking rule)."""
    world.platform.router._position = lambda account_id, symbol: 0


def ssr_run(rules: str):
    result = run_scenario(parse_scenario(SSR_DAY.format(rules=rules), "ssr_day"), setup=every_sell_short)
    events = list(result.world.log.read())
    refused = [e for e in events if e.event_type is EventType.CHILD_ORDER_REJECTED
               and e.details["reason"] == "SSR_PRICE"]
    return result, events, refused


def test_an_ssr_day_refuses_short_sales_at_the_bid_after_the_trigger_and_all_the_next_day():
    day1, events, refused = ssr_run('{ssr_trigger: true, previous_close: [{symbol: MEME, price: "22.30"}]}')
    ssr = rule(day1, ShortSaleRestriction)
    trigger = ssr.triggered["MEME"]
    assert refused and {e.symbol for e in refused} == {"MEME"} and all(e.timestamp_utc >= trigger for e in refused)
    for e in refused:  # the OMS ends the order with the reason, no reroute (it holds on every venue)
        story = [(x.event_type, (x.details or {}).get("reason")) for x in events if x.order_id == e.order_id]
        assert EventType.ORDER_REROUTED not in [t for t, _ in story]
        assert story[-1] in ((EventType.ORDER_REJECTED, "SSR_PRICE"), (EventType.ORDER_CANCELED, "SSR_PRICE"))
    carried = ssr_carry(day1.world)
    assert carried == ("MEME",)

    # The next day (no gap, no trigger): restricted from the open because it was carried in.
    day2, _, refused2 = ssr_run(f"{{ssr_symbols: [{', '.join(carried)}]}}")
    open_ns = day2.world.scenario.session.open_ns()
    assert rule(day2, ShortSaleRestriction).carried_in == {"MEME"}
    assert refused2 and {e.symbol for e in refused2} == {"MEME"}
    assert min(e.timestamp_utc for e in refused2) < open_ns + 5 * 60 * NS
    assert ssr_carry(day2.world) == ()  # nothing triggered on day 2: the day after it, it is lifted

    _, _, refused3 = ssr_run("{ssr_trigger: true}")  # no gap, no carry: nothing is refused
    assert not refused3

"""Parity: one scripted order set through the twin and through the live stack, compared event by event.

The live side is the real live bootstrap (in-memory log) with the FIX
gateway trading against simulated venues served over FIX on loopback
(``FixVenueServer``, embedded); the twin side is ``build_twin`` on a small
parsed scenario, run by ``twin.scripted``. Matching is deterministic in
both: no market maker timers and no noise, and each venue's book is seeded
with the same resting participant orders by the script itself. Every order
must pass through the same states, with the same risk verdicts (policy,
outcome, reason code, parameters), reasons and fills (venue, quantity,
price, liquidity).

The script includes a block (two accounts of one advisor, rotational
allocation), traded as one parent and allocated in both runtimes.
"""

from __future__ import annotations

import dataclasses

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.commands import SubmitBlock  # noqa: E402
from components.domain.money import to_units  # noqa: E402
from components.domain.orders import Side, TimeInForce  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from scenarios.config import parse_scenario  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from twin.bootstrap import build_twin  # noqa: E402
from twin.diff_live.compare import ParityError, assert_same, diff_traces, order_traces  # noqa: E402
from twin.diff_live.worlds import live_config_for  # noqa: E402
from twin.scripted import AgentOrder, Block, Cancel, Submit, run_script  # noqa: E402

S = 1_000_000_000

SCENARIO = """
name: parity
seed: 11
symbols:
  - {symbol: AAPL, reference_price: "190.00"}
  - {symbol: MSFT, reference_price: "415.00"}
venues:
  - {name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}
  - {name: BATS, maker_rebate: "0.0025", taker_fee: "0.0030", latency_ms: 0.7}
population: {advisors: 2, clients_per_advisor: 2, cash_min: "10000000", cash_max: "10000000", sanctioned_clients: 1}
order_flow: {orders: 0}
risk: {duplicate_window_s: 60.0}
liquidity: {noise_traders: 0}
"""


def seed_books() -> list[AgentOrder]:
    """Resting participant orders on both venues before the flow (the same in both runtimes)."""
    book = [("XNAS", "AAPL", Side.SELL, 300, "190.05"), ("XNAS", "AAPL", Side.SELL, 500, "190.10"),
            ("XNAS", "AAPL", Side.BUY, 300, "189.95"), ("XNAS", "AAPL", Side.BUY, 400, "189.90"),
            ("BATS", "AAPL", Side.SELL, 200, "190.06"), ("BATS", "AAPL", Side.SELL, 300, "190.12"),
            ("BATS", "AAPL", Side.BUY, 200, "189.94"),
            ("XNAS", "MSFT", Side.SELL, 100, "415.10"), ("XNAS", "MSFT", Side.BUY, 100, "414.90"),
            ("BATS", "MSFT", Side.SELL, 100, "415.20"), ("BATS", "MSFT", Side.BUY, 100, "414.80")]
    return [AgentOrder(0, venue, symbol, side, qty, to_units(px), owner="SEED")
            for venue, symbol, side, qty, px in book]


def script(population) -> list:
    """The order set: fills, a split, partial fills (taker and maker), an IOC and a market
    remainder, client cancels, risk refusals (notional, collar, position, sanctions, duplicate),
    and a block for two accounts of another advisor."""
    sanctioned = set(population.sanctioned_client_ids)
    clean = [a for a in population.accounts if a.client_id not in sanctioned]
    bad = next(a for a in population.accounts if a.client_id in sanctioned)
    a = clean[0]
    b1, b2 = [x for x in clean if x.advisor_id != a.advisor_id][:2]  # the other advisor's two accounts

    def order(n, side, qty, symbol, kind, price=None, tif="DAY", account=a):
        body = {"account_id": account.account_id, "symbol": symbol, "side": side, "quantity": qty,
                "order_type": kind, "time_in_force": tif, "advisor_id": account.advisor_id,
                "client_order_id": f"P-{n:02d}"}
        if price:
            body["limit_price"] = price
        return Submit(n * S, body)

    return [
        *seed_books(),
        order(1, "BUY", 100, "AAPL", "LIMIT", "190.05"),  # fills at XNAS 190.05
        order(2, "BUY", 600, "AAPL", "LIMIT", "190.10"),  # split XNAS + BATS, fully filled
        order(3, "BUY", 100, "AAPL", "LIMIT", "189.00"),  # rests at BATS (best rebate)
        order(4, "SELL", 400, "AAPL", "LIMIT", "189.95", "IOC"),  # 300 fill, 100 IOC remainder
        order(5, "BUY", 100, "MSFT", "MARKET"),  # fills at XNAS
        order(6, "BUY", 300, "MSFT", "MARKET"),  # 100 fill at BATS, 200 market remainder
        order(7, "BUY", 1_000_000, "AAPL", "LIMIT", "190.00"),  # blocked: notional
        order(8, "BUY", 100, "AAPL", "LIMIT", "210.00"),  # blocked: price collar
        order(9, "SELL", 100_000, "MSFT", "LIMIT", "414.00"),  # blocked: position
        Cancel(10 * S, a.account_id, "P-03"),  # resting order canceled
        order(11, "BUY", 500, "AAPL", "LIMIT", "189.50"),  # rests at BATS
        AgentOrder(12 * S, "BATS", "AAPL", Side.SELL, 300, to_units("189.40"), TimeInForce.IOC),  # maker fill 100
        Cancel(13 * S, a.account_id, "P-11"),  # partly filled order canceled
        order(14, "BUY", 10, "AAPL", "LIMIT", "190.00", account=bad),  # blocked: sanctions
        order(15, "BUY", 100, "AAPL", "LIMIT", "190.05"),  # blocked: duplicate of P-01
        Block(16 * S, SubmitBlock(b1.advisor_id, "AAPL", "BUY", ((b1.account_id, 150), (b2.account_id, 100)),
                                  "rotational", "PB-1", 0, "LIMIT", "190.15")),  # one parent of 250, allocated
    ]


@pytest.fixture(scope="module")
def scenario():
    return parse_scenario(SCENARIO, "parity")


@pytest.fixture(scope="module")
def steps(scenario):
    return script(build_twin(scenario, scenario.seed).population)


def run_twin(scenario, steps):
    world = run_script(build_twin(scenario, scenario.seed), steps)
    return list(world.log.read())


@pytest.fixture(scope="module")
def twin_events(scenario, steps):
    return run_twin(scenario, steps)


@pytest.fixture(scope="module")
def live_events(scenario, steps, tmp_path_factory):
    live = build_live(live_config_for(scenario, run_dir=str(tmp_path_factory.mktemp("parity-live"))))
    try:
        live.start()
        assert live.venue_statuses() == {"XNAS": "UP", "BATS": "UP"}
        LiveScript(live).run(steps)
        assert live.runtime.failures == []
        return list(live.log.read())
    finally:
        live.close()


def test_the_script_exercises_what_it_claims(twin_events):
    traces = order_traces(twin_events)
    reasons = {r.split(":", 1)[1] for t in traces.values() for r in t.reasons}
    reasons |= {code for t in traces.values() for _, _, _, code, _ in t.risk if code}  # every failing verdict
    assert {"IOC_REMAINDER", "MARKET_REMAINDER", "CLIENT_REQUEST", "NOTIONAL_EXCEEDS_MAX_PER_ORDER",
            "PRICE_OUTSIDE_COLLAR", "INSUFFICIENT_POSITION", "SANCTIONED_PARTY",
            "DUPLICATE_ORDER_SUSPECTED"} <= reasons, reasons
    states = {s for t in traces.values() for s in t.states}
    assert {"OrderPartiallyFilled", "OrderFilled", "OrderCanceled", "OrderBlocked", "OrderConfirmed"} <= states
    assert {v for t in traces.values() for v, *_ in t.fills} == {"XNAS", "BATS", ""}  # "": a block allocation
    assert any(liq == "MAKER" for t in traces.values() for *_, liq in t.fills)
    assert {"OrderAllocated", "OrderConfirmed"} <= set(traces["FIRM-AVGPX/PB-1"].states)  # the block's parent
    members = [t for k, t in traces.items() if k.split("/")[1].startswith("PB-1-")]
    assert sorted(sum(qty for _, qty, _, _ in t.fills) for t in members) == [100, 150]
    assert len(traces) == 15


def test_twin_and_live_agree_order_by_order(twin_events, live_events):
    traces = assert_same(twin_events, live_events)
    assert len(traces) == 15


def test_a_divergence_names_the_order_and_the_state(scenario, steps, live_events):
    # The twin with a lower per-order notional limit: order P-02 (600 x 190.10) is blocked there only.
    strict = dataclasses.replace(scenario, risk=dataclasses.replace(scenario.risk, max_order_notional=to_units("100000")))
    strict_events = run_twin(strict, steps)
    with pytest.raises(ParityError) as caught:
        assert_same(strict_events, live_events)
    message = str(caught.value)
    assert "/P-02 (BUY 600 AAPL LIMIT 190.1000 DAY): states: step 3 after OrderValidated: " \
           "twin OrderBlocked, live OrderRiskApproved" in message, message
    assert "policy max_order_notional: twin FAIL NOTIONAL_EXCEEDS_MAX_PER_ORDER" in message, message
    found = diff_traces(order_traces(strict_events), order_traces(live_events))
    assert {d.aspect for d in found if d.key.endswith("/P-02")} == {"states", "risk", "reasons", "fills"}
    # Every divergence is about P-02 or what it changed downstream (positions, books, the duplicate check).
    assert found[0].key.endswith("/P-02")

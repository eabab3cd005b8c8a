"""The ledger: positions and cash as a replay of fill events, fees included."""

from __future__ import annotations

import pytest

from components.domain.money import PRICE_SCALE, to_units
from components.domain.orders import Side
from components.domain.venues import ExecKind, Liquidity
from components.ledger import Ledger
from components.post_trade import PostTrade

D = PRICE_SCALE
PX = 190 * D


def trade_day(world, settlement):
    """A small day: a buy in two fills, a sell with a maker rebate, a canceled order,
    a partially filled order, a blocked one; then post-trade and settlement."""
    buy, (a, b) = world.routed(("XNAS", 60), ("BATS", 40), quantity=100, client_order_id="C-buy")
    world.deliver(world.fill(a, 60, PX, leaves=0, fee=180))
    world.deliver(world.fill(b, 40, PX + 100, leaves=0, fee=40))

    sell, (s,) = world.routed(("ARCX", 50), side=Side.SELL, quantity=50, symbol="MSFT", limit_price=400 * D,
                              client_order_id="C-sell")
    world.deliver(world.fill(s, 50, 401 * D, leaves=0, fee=-105, liquidity=Liquidity.MAKER))

    canceled = world.approved(client_order_id="C-cxl")
    world.oms.request_cancel(canceled.order_id)

    partial, (p,) = world.routed(("XNAS", 10), quantity=10, account_id="A2", client_order_id="C-part")
    world.deliver(world.fill(p, 4, PX - 100, leaves=6, fee=12))
    world.deliver(world.report(ExecKind.CANCELED, p, reason="END_OF_DAY"))

    post = PostTrade(world.oms, world.clock, settlement)
    for order in (buy, sell, partial):
        post.process(order.order_id)
    world.clock.advance_to(settlement(world.clock.now_ns()))
    return buy, sell, partial


OPEN_CASH = {"A1": 1_000_000 * D, "A2": 5_000 * D}
OPEN_POS = {"A1": {"MSFT": 80, "SPY": 5}}


def test_replay_gives_positions_and_cash_including_fees(world, settlement):
    trade_day(world, settlement)
    ledger = Ledger(OPEN_CASH, OPEN_POS).apply_all(world.log.read())
    assert ledger.position("A1", "AAPL") == 100
    assert ledger.position("A1", "MSFT") == 30
    assert ledger.position("A1", "SPY") == 5  # untouched opening position
    assert ledger.position("A2", "AAPL") == 4
    assert ledger.position("A3", "AAPL") == 0
    buy_cash = 60 * PX + 180 + 40 * (PX + 100) + 40
    sell_cash = 50 * 401 * D + 105  # proceeds plus the maker rebate
    assert ledger.cash["A1"] == OPEN_CASH["A1"] - buy_cash + sell_cash
    assert ledger.cash["A2"] == OPEN_CASH["A2"] - (4 * (PX - 100) + 12)


def test_the_live_ledger_equals_the_replay(world, settlement):
    live = Ledger(OPEN_CASH, OPEN_POS)
    world.oms.subscribe(lambda event, order: live.apply(event))
    trade_day(world, settlement)
    replay = Ledger(OPEN_CASH, OPEN_POS).apply_all(world.log.read())
    assert live.snapshot() == replay.snapshot()


def test_replay_is_the_same_in_any_number_of_passes(world, settlement):
    trade_day(world, settlement)
    events = list(world.log.read())
    whole = Ledger(OPEN_CASH, OPEN_POS).apply_all(events)
    split = Ledger(OPEN_CASH, OPEN_POS).apply_all(events[:7]).apply_all(events[7:])
    assert whole.snapshot() == split.snapshot()


def test_only_fills_move_the_books(world, settlement):
    trade_day(world, settlement)
    fills = [e for e in world.log.read() if e.detail("last_qty") is not None]
    assert len(fills) == 4  # two for the buy, one for the sell, one for the partial
    only_fills = Ledger(OPEN_CASH, OPEN_POS).apply_all(fills)
    everything = Ledger(OPEN_CASH, OPEN_POS).apply_all(world.log.read())
    assert only_fills.snapshot() == everything.snapshot()
    nothing = Ledger(OPEN_CASH, OPEN_POS).apply_all(e for e in world.log.read() if e not in fills)
    assert nothing.snapshot() == Ledger(OPEN_CASH, OPEN_POS).snapshot()


def test_cash_moves_by_each_fill_in_units(world):
    ledger = Ledger({"A1": 0}, {})
    order, (child,) = world.routed(("XNAS", 100))
    world.oms.subscribe(lambda event, o: ledger.apply(event))
    world.deliver(world.fill(child, 1, PX + 100, leaves=99, fee=30))
    assert ledger.cash["A1"] == -(PX + 100) - 30 and ledger.position("A1", "AAPL") == 1


def test_snapshot_drops_flat_positions(world):
    ledger = Ledger({"A1": 0}, {"A1": {"AAPL": 10}})
    order, (child,) = world.routed(("XNAS", 10), side=Side.SELL, quantity=10)
    world.oms.subscribe(lambda event, o: ledger.apply(event))
    world.deliver(world.fill(child, 10, PX, leaves=0))
    cash, positions = ledger.snapshot()
    assert positions == {} and cash == {"A1": 10 * PX}


def test_opening_books_are_copied_not_shared():
    cash, positions = {"A1": 5}, {"A1": {"AAPL": 1}}
    ledger = Ledger(cash, positions)
    ledger.positions["A1"]["AAPL"] = 99
    ledger.cash["A1"] = 0
    assert cash == {"A1": 5} and positions == {"A1": {"AAPL": 1}}


# -- exact money (components.domain.money) ---------------------------------------

@pytest.mark.parametrize(("text", "units"), [("190.25", 1_902_500), ("0.0030", 30), ("-0.0020", -20), (3, 30_000)])
def test_to_units_is_exact(text, units):
    assert to_units(text) == units


@pytest.mark.parametrize("text", ["0.00001", "190.00000000000000000000000001", "1e-99999999", "nan", "abc"])
def test_to_units_refuses_anything_inexact(text):
    # the long and the tiny ones used to be rounded (to 190.00, to 0) instead of refused
    with pytest.raises(ValueError):
        to_units(text)


def test_to_units_refuses_floats():
    with pytest.raises(TypeError):
        to_units(0.1)

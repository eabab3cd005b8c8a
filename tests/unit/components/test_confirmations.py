"""Client and street-side confirmations built from a block allocation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from components.blocks import AllocationStatement, Block, BlockFill, ClearingInstructions, allocate
from components.confirmations import (
    COMMISSION,
    SEC_FEE,
    Capacity,
    CommissionSchedule,
    FeeLine,
    confirm,
)
from components.domain.money import CENT, PRICE_SCALE
from components.domain.orders import Side

D = PRICE_SCALE
TRADE = date(2026, 11, 24)
SETTLE = date(2026, 11, 25)


def result_for(side: Side = Side.BUY, fills=((60, 100 * D), (40, 100 * D + 1)), clearing=(), requests=None):
    requests = requests or (("A", 50), ("B", 30), ("C", 20), ("Z", 10))
    block = Block("BLK-1", AllocationStatement("AAPL", side, requests, "ADV1", 0, clearing))
    for i, (qty, px) in enumerate(fills):
        block.add_fill(BlockFill(f"X{i}", qty, px, 1))
    return allocate(block, "pro_rata")


def test_commission_schedule_itemises_agency_fees():
    s = CommissionSchedule(per_share=50, bps=10, minimum=10 * D)
    # 100 shares * $0.005 + 10bp of $10,000.00 = $0.50 + $10.00, above the $10 minimum.
    assert s.fees(Side.BUY, 100, 10_000 * D, Capacity.AGENCY) == (FeeLine(COMMISSION, 105_000),)
    assert s.fees(Side.BUY, 1, 10 * D, Capacity.AGENCY) == (FeeLine(COMMISSION, 10 * D),)  # minimum
    assert s.fees(Side.BUY, 100, 10_000 * D, Capacity.PRINCIPAL) == ()


def test_sec_fee_on_sells_rounds_up_to_the_cent():
    s = CommissionSchedule(sec_fee_per_million=278_000)  # $27.80 per million
    # $10,000.00 sold -> $0.278 -> $0.28
    assert s.fees(Side.SELL, 100, 10_000 * D, Capacity.PRINCIPAL) == (FeeLine(SEC_FEE, 28 * CENT),)
    assert s.fees(Side.BUY, 100, 10_000 * D, Capacity.PRINCIPAL) == ()


def test_commission_schedule_rejects_negative_rates():
    with pytest.raises(ValueError, match="CommissionSchedule.bps"):
        CommissionSchedule(bps=-1)


def test_client_confirmations_for_a_buy():
    result = result_for()
    schedule = CommissionSchedule(per_share=100)
    confs = confirm(result, trade_date=TRADE, settlement_date=SETTLE, created_ns=7, schedule=schedule)
    assert [c.account_id for c in confs.client] == ["A", "B", "C", "Z"]
    a = confs.client[0]
    assert a.quantity == result.quantity_for("A") and a.price == result.price
    assert a.gross == a.quantity * a.price
    assert a.fees == (FeeLine(COMMISSION, 100 * a.quantity),)
    assert a.net == a.gross + a.total_fees and a.cash_delta == -a.net
    assert a.average_price  # two execution prices
    assert (a.trade_date, a.settlement_date, a.capacity, a.issuer) == (TRADE, SETTLE, Capacity.AGENCY, "SELF")
    assert confs.balanced()
    json.dumps([c.to_record() for c in confs.client] + [s.to_record() for s in confs.street])


def test_client_confirmation_for_a_sell_nets_fees_out():
    result = result_for(Side.SELL, fills=((110, 50 * D),))
    confs = confirm(result, trade_date=TRADE, settlement_date=SETTLE, created_ns=0,
                    schedule=CommissionSchedule(per_share=10))  # fmt: skip
    for c in confs.client:
        assert c.net == c.gross - c.total_fees and c.cash_delta == c.net
        assert not c.average_price


def test_zero_quantity_lines_get_no_confirmation():
    result = result_for(fills=((3, 100 * D),))  # 3 shares over four accounts
    confs = confirm(result, trade_date=TRADE, settlement_date=SETTLE, created_ns=0)
    assert sum(c.quantity for c in confs.client) == 3
    assert all(c.quantity > 0 for c in confs.client) and len(confs.client) < 4


def test_street_confirmations_group_by_clearing_relationship():
    gs = ClearingInstructions("", "GS")
    ms_step = ClearingInstructions("", "MS", step_out=True)
    result = result_for(clearing=(("B", gs), ("C", ms_step), ("Z", gs)))
    confs = confirm(result, trade_date=TRADE, settlement_date=SETTLE, created_ns=0, firm="FIRM")
    by_clearer = {s.clearing_broker: s for s in confs.street}
    assert set(by_clearer) == {"FIRM", "GS", "MS"}
    assert by_clearer["GS"].accounts == ("B", "Z") and by_clearer["GS"].give_up
    assert by_clearer["MS"].step_out and by_clearer["MS"].accounts == ("C",)
    assert not by_clearer["FIRM"].give_up
    assert sum(s.quantity for s in confs.street) == result.filled_qty
    # A step-out moves the client confirmation to the broker stepped in to.
    assert {c.account_id: c.issuer for c in confs.client} == {"A": "FIRM", "B": "FIRM", "C": "MS", "Z": "FIRM"}
    assert confs.balanced()


def test_rounding_residual_balances_client_cash_with_the_street():
    # 3 shares at 100.0000, 100.0000, 100.0001: allocation price 100.0000, residual 1 unit
    result = result_for(fills=((1, 100 * D), (1, 100 * D), (1, 100 * D + 1)))
    confs = confirm(result, trade_date=TRADE, settlement_date=SETTLE, created_ns=0)
    assert confs.rounding_residual == 1 and confs.street_notional == 300 * D + 1
    assert sum(c.gross for c in confs.client) + confs.rounding_residual == confs.street_notional
    assert confs.balanced()


def test_principal_capacity_has_no_commission():
    confs = confirm(result_for(), trade_date=TRADE, settlement_date=SETTLE, created_ns=0,
                    capacity=Capacity.PRINCIPAL, schedule=CommissionSchedule(per_share=100))  # fmt: skip
    assert all(c.fees == () and c.net == c.gross for c in confs.client)
    assert {s.capacity for s in confs.street} == {Capacity.PRINCIPAL}


def test_settlement_before_trade_date_is_refused():
    with pytest.raises(ValueError, match="precedes trade_date"):
        confirm(result_for(), trade_date=SETTLE, settlement_date=TRADE, created_ns=0)

"""Unit tests for the FIX front's translation rules and settings files (no quickfix needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from venues_sim import fix_codec as c
from venues_sim import venue as v
from venues_sim.fix_config import (
    format_settings,
    parse_settings,
    render_acceptor_settings,
    session_names,
    template_path,
)

ORDER = {c.CL_ORD_ID: "C1", c.SYMBOL: "AAPL", c.SIDE: "1", c.ORDER_QTY: "100", c.ORD_TYPE: "2", c.PRICE: "190.01"}


def test_prices_convert_exactly_or_not_at_all():
    assert c.parse_price("190.01") == 1_900_100
    assert c.parse_price("0.0001") == 1
    for bad in ("190.00001", "0", "-1", "abc", "NaN"):
        with pytest.raises(c.FieldError) as err:
            c.parse_price(bad)
        assert err.value.reason == v.INVALID_PRICE
    assert c.price_text(1_900_100) == "190.0100" and c.price_text(-2000) == "-0.2000"


def test_quantities_are_whole_positive_shares():
    assert c.parse_qty("100") == 100 and c.parse_qty("100.0") == 100
    for bad in ("100.5", "0", "-5", "x", ""):
        with pytest.raises(c.FieldError):
            c.parse_qty(bad)


def test_avg_px_and_transact_time():
    assert c.avg_px_text(0, 0) == "0"
    assert c.avg_px_text(100 * 1_900_500 + 200 * 1_900_000, 300) == "190.0167"  # 190.016666... half-even
    assert c.transact_time(1_700_000_000_123_456_789) == "20231114-22:13:20.123"


def test_parse_order_maps_fields_to_a_child():
    child = c.parse_order(ORDER, child_id="S|C1", order_id="XNAS-O1", venue="XNAS")
    assert (child.side, child.order_type, child.time_in_force) == (Side.BUY, OrderType.LIMIT, TimeInForce.DAY)
    assert (child.quantity, child.limit_price, child.symbol, child.venue) == (100, 1_900_100, "AAPL", "XNAS")
    market = c.parse_order({**ORDER, c.ORD_TYPE: "1", c.TIME_IN_FORCE: "3"}, child_id="x", order_id="o", venue="V")
    assert market.limit_price is None and market.time_in_force is TimeInForce.IOC
    # A replace: FIX OrderQty is the chain's total, the child gets what is left.
    assert c.parse_order(ORDER, child_id="x", order_id="o", venue="V", cum_qty=30).quantity == 70


@pytest.mark.parametrize(
    "change, reason",
    [
        ({c.ORD_TYPE: "3"}, v.INVALID_ORDER),
        ({c.SIDE: "8"}, v.INVALID_ORDER),  # cross: not supported (5, sell short, is a short SELL)
        ({c.TIME_IN_FORCE: "1"}, v.INVALID_ORDER),
        ({c.PRICE: "1.00001"}, v.INVALID_PRICE),
        ({c.ORDER_QTY: "1.5"}, v.INVALID_QUANTITY),
    ],
)
def test_parse_order_refuses_what_the_venue_does_not_support(change, reason):
    with pytest.raises(c.FieldError) as err:
        c.parse_order({**ORDER, **change}, child_id="x", order_id="o", venue="V")
    assert err.value.reason == reason


def test_limit_without_price_is_refused():
    fields = {k: val for k, val in ORDER.items() if k != c.PRICE}
    with pytest.raises(c.FieldError) as err:
        c.parse_order(fields, child_id="x", order_id="o", venue="V")
    assert err.value.reason == v.INVALID_PRICE


def test_execution_report_carries_trade_fields_only_for_trades():
    order = c.FixOrder("S", "XNAS-O1", "C1", "S|C1", "AAPL", Side.SELL, 100)
    order.fill(40, 1_900_100)
    msg_type, body = c.execution_report(order, "E1", c.EXEC_TRADE, c.STATUS_PARTIAL, 60, 0, last_qty=40,
                                        last_px=1_900_100, fee=1200, maker=False)
    fields = dict(body)
    assert msg_type == "8" and fields[c.SIDE] == "2" and fields[c.CUM_QTY] == "40" and fields[c.LEAVES_QTY] == "60"
    assert (fields[c.LAST_PX], fields[c.AVG_PX], fields[c.COMMISSION], fields[c.LAST_LIQUIDITY_IND]) == \
        ("190.0100", "190.0100", "0.1200", "2")
    _, ack = c.execution_report(order, "E2", c.EXEC_NEW, c.STATUS_NEW, 100, 0)
    assert c.LAST_PX not in dict(ack) and c.LAST_QTY not in dict(ack)


def test_rejects():
    msg_type, body = c.cancel_reject({c.CL_ORD_ID: "X", c.ORIG_CL_ORD_ID: "NOPE"}, None, v.UNKNOWN_ORDER, "1")
    fields = dict(body)
    assert msg_type == "9" and fields[c.ORDER_ID] == "NONE" and fields[c.ORD_STATUS] == "8"
    assert fields[c.CXL_REJ_REASON] == "1" and fields[c.CXL_REJ_RESPONSE_TO] == "1"
    _, body = c.order_rejected(ORDER, "R1", v.DUPLICATE_CHILD_ID, 0)
    assert dict(body)[c.ORD_REJ_REASON] == "6" and dict(body)[c.EXEC_TYPE] == "8"
    msg_type, body = c.business_reject("D", "7", "boom")
    assert msg_type == "j" and dict(body)[c.REF_SEQ_NUM] == "7"


def test_template_renders_to_a_loopback_acceptor_on_the_given_port(tmp_path):
    sections = render_acceptor_settings(template_path().read_text(), venue="ARCX", port=12345, run_dir=tmp_path)
    defaults = dict(sections)["DEFAULT"]
    assert defaults["SocketAcceptPort"] == "12345" and defaults["SenderCompID"] == "ARCX"
    assert defaults["AllowedRemoteAddresses"] == "127.0.0.1" and defaults["UseDataDictionary"] == "Y"
    assert Path(defaults["DataDictionary"]).name == "FIX44.xml"
    assert defaults["FileStorePath"] == str(tmp_path / "store")
    assert session_names(sections) == ["FIX.4.4:ARCX->BD"]
    assert parse_settings(format_settings(sections)) == sections


def test_user_settings_get_the_port_forced_and_bad_ones_are_refused(tmp_path):
    text = "[DEFAULT]\nConnectionType=acceptor\n[SESSION]\nSocketAcceptPort=1\nTargetCompID=A\n"
    sections = render_acceptor_settings(text, venue="V", port=9, run_dir=tmp_path)
    assert sections[1][1]["SocketAcceptPort"] == "9" and sections[0][1]["SocketAcceptPort"] == "9"
    with pytest.raises(ValueError, match="no \\[SESSION\\]"):
        render_acceptor_settings("[DEFAULT]\nA=1\n", venue="V", port=9, run_dir=tmp_path)
    with pytest.raises(ValueError, match="placeholders"):
        render_acceptor_settings("[SESSION]\nA=${NOPE}\n", venue="V", port=9, run_dir=tmp_path)
    with pytest.raises(ValueError, match="line 1"):
        parse_settings("A=1\n")

"""The live FIX gateway's translation rules and settings rendering (no quickfix needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, Liquidity
from components.fix import wire as w
from components.fix.settings import parse_settings, session_names
from live.adapters.fix import messages as m
from live.adapters.fix.settings import (
    claim_embedded_sender,
    claim_sessions,
    release_sessions,
    render_initiator_settings,
    template_path,
)

CHILD = ChildOrder("CH-1", "ORD-1", "XNAS", "AAPL", Side.BUY, 400, OrderType.LIMIT, 1_900_500, TimeInForce.DAY)
T0 = 1_700_000_000_123_000_000  # 2023-11-14 22:13:20.123 UTC


def test_a_child_becomes_a_new_order_single_with_its_id_as_cl_ord_id():
    msg_type, body = m.new_order_single(CHILD, T0)
    fields = dict(body)
    assert msg_type == "D"
    assert fields == {11: "CH-1", 55: "AAPL", 54: "1", 60: "20231114-22:13:20.123", 38: "400", 40: "2",
                      59: "0", 44: "190.0500"}
    market = ChildOrder("CH-2", "ORD-1", "XNAS", "AAPL", Side.SELL, 5, OrderType.MARKET, None, TimeInForce.IOC)
    fields = dict(m.new_order_single(market, T0)[1])
    assert (fields[54], fields[40], fields[59]) == ("2", "1", "3") and 44 not in fields


def test_a_cancel_names_the_child_as_orig_cl_ord_id():
    msg_type, body = m.order_cancel_request("CH-1.X1", CHILD, T0)
    assert msg_type == "F" and dict(body)[11] == "CH-1.X1" and dict(body)[41] == "CH-1" and dict(body)[38] == "400"


def report(**tags):
    base = {w.CL_ORD_ID: "CH-1", w.EXEC_ID: "XNAS-E1", w.ORDER_QTY: "400", w.CUM_QTY: "0",
            w.TRANSACT_TIME: "20231114-22:13:20.125"}
    return {**base, **{int(k[1:]): v for k, v in tags.items()}}


def test_execution_reports_map_to_domain_reports():
    ack = m.execution_report(report(t150="0", t39="0", t151="400"), CHILD, received_ns=T0 + 9_000_000)
    assert (ack.kind, ack.leaves_qty, ack.timestamp_ns, ack.exec_id) == (ExecKind.ACK, 400, T0 + 2_000_000, "XNAS-E1")
    fill = m.execution_report(report(t150="F", t39="1", t32="300", t31="190.0500", t14="300", t151="100",
                                     t851="2", t12="0.9000", t13="3"), CHILD, received_ns=T0)
    assert (fill.kind, fill.last_qty, fill.last_px, fill.leaves_qty, fill.liquidity, fill.fee) == \
        (ExecKind.FILL, 300, 1_900_500, 100, Liquidity.TAKER, 9_000)
    maker = m.execution_report(report(t150="F", t32="100", t31="190.0500", t151="0", t851="1", t12="-0.2000"),
                               CHILD, received_ns=T0)
    assert maker.liquidity is Liquidity.MAKER and maker.fee == -2_000 and m.is_final(maker)
    ioc = m.execution_report(report(t150="4", t39="4", t14="300", t58="IOC_REMAINDER"), CHILD, received_ns=T0)
    assert (ioc.kind, ioc.last_qty, ioc.reason) == (ExecKind.CANCELED, 100, "IOC_REMAINDER") and m.is_final(ioc)
    asked = m.execution_report(report(t150="4", t11="CH-1.X1", t41="CH-1"), CHILD, received_ns=T0)
    assert asked.reason == "CANCEL_REQUESTED"
    rejected = m.execution_report(report(t150="8", t58="INVALID_PRICE: finer than a tick", t103="99"), CHILD,
                                  received_ns=T0)
    assert (rejected.kind, rejected.reason) == (ExecKind.REJECTED, "INVALID_PRICE")
    assert m.execution_report(report(t150="5"), CHILD, received_ns=T0) is None  # Replaced: not ours


def test_business_time_is_never_before_the_child_was_sent():
    late_clock = m.execution_report(report(t150="0"), CHILD, received_ns=T0, sent_ns=T0 + 2_500_000)
    assert late_clock.timestamp_ns == T0 + 2_500_000
    no_time = m.execution_report({w.EXEC_TYPE: "0", w.CL_ORD_ID: "CH-1"}, CHILD, received_ns=T0 + 7)
    assert no_time.timestamp_ns == T0 + 7


def test_malformed_numbers_are_refused():
    with pytest.raises(ValueError):
        m.execution_report(report(t150="F", t32="1.5", t31="190.05"), CHILD, received_ns=T0)
    with pytest.raises(ValueError):
        m.execution_report(report(t150="F", t32="100", t31="190.00001"), CHILD, received_ns=T0)


def test_only_an_unknown_order_cancel_reject_closes_the_child():
    assert m.cancel_reject_closes_child({w.CXL_REJ_REASON: "1", w.TEXT: "UNKNOWN_ORDER"})
    assert not m.cancel_reject_closes_child({w.CXL_REJ_REASON: "0", w.TEXT: "TOO_LATE"})
    assert not m.cancel_reject_closes_child({w.CXL_REJ_REASON: "2", w.TEXT: "VENUE_DOWN"})


def test_transact_time_round_trips():
    assert w.parse_transact_time(w.transact_time(T0)) == T0
    assert w.parse_transact_time("20231114-22:13:20") == T0 - 123_000_000
    with pytest.raises(ValueError):
        w.parse_transact_time("yesterday")


def test_the_template_renders_a_session_per_venue(tmp_path):
    sections = render_initiator_settings(template_path().read_text(), sender="BD", run_dir=tmp_path,
                                         venues=["XNAS", "BATS"],
                                         sessions={"XNAS": ("127.0.0.1", 9001), "BATS": ("127.0.0.1", 9002)})
    assert session_names(sections) == ["FIX.4.4:BD->XNAS", "FIX.4.4:BD->BATS"]
    defaults = dict(sections)["DEFAULT"]
    assert defaults["ConnectionType"] == "initiator" and defaults["ResetOnLogon"] == "N"
    assert Path(defaults["DataDictionary"]).name == "FIX44.xml" and defaults["FileStorePath"] == str(tmp_path / "store")
    assert [s[1]["SocketConnectPort"] for s in sections if s[0] == "SESSION"] == ["9001", "9002"]


def test_a_user_settings_file_keeps_its_sessions_and_missing_venues_are_named(tmp_path):
    text = "[DEFAULT]\nConnectionType=initiator\nSenderCompID=${SENDER}\n[SESSION]\nTargetCompID=XNAS\n" \
           "BeginString=FIX.4.4\nSocketConnectHost=10.0.0.1\nSocketConnectPort=7000\n"
    sections = render_initiator_settings(text, sender="BD", run_dir=tmp_path, venues=["XNAS"],
                                         sessions={"XNAS": ("127.0.0.1", 1)})
    assert [v["SocketConnectHost"] for n, v in sections if n == "SESSION"] == ["10.0.0.1"]
    with pytest.raises(ValueError, match="no FIX session for venue\\(s\\) BATS"):
        render_initiator_settings(text, sender="BD", run_dir=tmp_path, venues=["XNAS", "BATS"])
    with pytest.raises(ValueError, match="placeholders"):
        render_initiator_settings(text + "Foo=${BAR}\n", sender="BD", run_dir=tmp_path, venues=["XNAS"])
    assert parse_settings("[SESSION]\nA=1\n") == [("SESSION", {"A": "1"})]


def test_session_ids_are_claimed_once_per_process():
    assert claim_sessions(["FIX.4.4:T1->V"])
    assert not claim_sessions(["FIX.4.4:T1->V", "FIX.4.4:T1->W"])
    release_sessions(["FIX.4.4:T1->V"])
    assert claim_sessions(["FIX.4.4:T1->V"])
    release_sessions(["FIX.4.4:T1->V"])
    first, held = claim_embedded_sender("TQ", ["V"])
    second, held2 = claim_embedded_sender("TQ", ["V"])
    assert (first, second) == ("TQ", "TQ2") and held == ["FIX.4.4:V->TQ"]
    release_sessions(held + held2)


def test_a_sell_marked_short_goes_out_as_side_5_and_the_venue_reads_it_back():
    from venues_sim import fix_codec

    short = ChildOrder("CH-9", "ORD-9", "XNAS", "AAPL", Side.SELL, 100, OrderType.LIMIT, 1_900_000,
                       TimeInForce.DAY, short=True)
    fields = dict(m.new_order_single(short, T0)[1])
    assert fields[54] == "5" and dict(m.order_cancel_request("X", short, T0)[1])[54] == "5"
    back = fix_codec.parse_order(fields, child_id="S|CH-9", order_id="XNAS-O1", venue="XNAS")
    assert back.side is Side.SELL and back.short
    plain = fix_codec.parse_order({**fields, 54: "2"}, child_id="S|CH-9", order_id="XNAS-O1", venue="XNAS")
    assert not plain.short

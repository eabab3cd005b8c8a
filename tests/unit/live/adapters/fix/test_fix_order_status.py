"""OrderStatusRequest (35=H) and its answer, ExecutionReport ExecType I, on both ends (no quickfix needed).

The venue front builds the answer (``venues_sim.fix_codec``); the gateway builds
the request and reads the answer (``live.adapters.fix.messages``). The round
trip goes through the same ``{tag: text}`` form QuickFIX hands each side.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder
from components.fix import wire as w
from components.fix.settings import defaults_of, parse_settings
from live.adapters.fix import messages as m
from live.adapters.fix.settings import render_initiator_settings, template_path
from venues_sim import fix_codec as c
from venues_sim.fix_config import render_acceptor_settings
from venues_sim.fix_config import template_path as acceptor_template

CHILD = ChildOrder("CH-1", "ORD-1", "XNAS", "AAPL", Side.SELL, 400, OrderType.LIMIT, 1_900_500, TimeInForce.DAY,
                   short=True)
T0 = 1_700_000_000_123_000_000


def venue_order(**overrides) -> c.FixOrder:
    order = c.FixOrder("FIX.4.4:XNAS->BD", "XNAS-O7", "CH-1", "FIX.4.4:XNAS->BD|CH-1", "AAPL", Side.SELL, 400,
                       cl_ord_ids=["CH-1"])
    for key, value in overrides.items():
        setattr(order, key, value)
    return order


def test_the_gateway_asks_for_a_child_by_its_cl_ord_id():
    msg_type, body = m.order_status_request("ST-1", CHILD)
    assert msg_type == w.ORDER_STATUS_REQUEST == "H"
    assert dict(body) == {11: "CH-1", 790: "ST-1", 55: "AAPL", 54: "5"}  # ClOrdID, OrdStatusReqID, sell short


def test_a_known_working_order_is_answered_with_exec_type_i_and_read_back_exactly():
    order = venue_order()
    order.fill(100, 1_900_500)
    order.fill(50, 1_900_600)
    order.status = c.STATUS_PARTIAL
    msg_type, body = c.order_status(order, T0, "ST-1", "CH-1")
    fields = dict(body)
    assert msg_type == "8"
    assert (fields[150], fields[39], fields[17], fields[11], fields[790]) == ("I", "1", "0", "CH-1", "ST-1")
    assert (fields[14], fields[151], fields[6]) == ("150", "250", "190.0533")  # AvgPx half-even, 4 places
    status = m.order_status(fields)
    assert status == m.OrderStatus("CH-1", "ST-1", "1", 150, 250, Decimal("190.0533"), True)
    assert not status.final


def test_a_done_order_has_no_leaves_and_is_final():
    order = venue_order(status=c.STATUS_CANCELED)
    order.fill(100, 1_900_500)
    status = m.order_status(dict(c.order_status(order, T0)[1]))
    assert (status.ord_status, status.cum_qty, status.leaves_qty, status.known, status.final) == ("4", 100, 0, True,
                                                                                               True)
    assert status.req_id == ""  # none asked, none echoed


def test_an_unknown_order_is_answered_rejected_unknown_and_read_as_not_known():
    request = dict(m.order_status_request("ST-9", CHILD)[1])
    msg_type, body = c.order_status_unknown(request, T0)
    fields = dict(body)
    assert msg_type == "8"
    assert (fields[150], fields[39], fields[103], fields[37], fields[58]) == ("I", "8", "5", "NONE", "UNKNOWN_ORDER")
    assert (fields[11], fields[790], fields[55], fields[54]) == ("CH-1", "ST-9", "AAPL", "5")
    status = m.order_status(fields)
    assert not status.known and status.final and status.cum_qty == 0
    # A rejected order the venue knows is not "unknown".
    known_rejected = {**fields, 103: "99", 58: "INVALID_PRICE"}
    assert m.order_status(known_rejected).known


def test_an_unknown_order_is_recognised_by_its_text_alone():
    fields = dict(c.order_status_unknown({11: "CH-1", 55: "AAPL", 54: "1"}, T0)[1])
    del fields[103]
    assert not m.order_status(fields).known


@pytest.mark.parametrize("tag, value, message", [
    (14, None, r"CumQty \(14\) is missing"),
    (151, "", r"LeavesQty \(151\) is missing"),
    (6, None, r"AvgPx \(6\) is missing"),
    (39, None, r"OrdStatus \(39\) is missing"),
    (11, None, r"ClOrdID \(11\) is missing"),
    (14, "12.5", r"CumQty \(14\) must be a whole number"),
    (14, "-3", r"CumQty \(14\) must be a whole number"),
    (151, "1e3", r"LeavesQty \(151\) is not a number"),
    (6, "NaN", r"AvgPx \(6\) is not a number"),
    (6, "-1.5", r"AvgPx \(6\) must be a number >= 0"),
    (150, "F", r"ExecType \(150\) must be I"),
])
def test_a_malformed_status_answer_names_the_field_and_tag(tag, value, message):
    fields = dict(c.order_status(venue_order(), T0, "ST-1")[1])
    if value is None:
        del fields[tag]
    else:
        fields[tag] = value
    with pytest.raises(m.OrderStatusError, match=message):
        m.order_status(fields)


def test_quantities_written_with_a_decimal_point_are_read_exactly():
    fields = dict(c.order_status(venue_order(), T0)[1])
    fields.update({14: "100.0", 151: "300.00"})
    status = m.order_status(fields)
    assert (status.cum_qty, status.leaves_qty) == (100, 300)


def test_a_status_answer_is_not_a_domain_report():
    fields = dict(c.order_status(venue_order(), T0)[1])
    assert m.is_order_status(fields)
    assert m.execution_report(fields, ChildOrder("CH-1", "ORD-1", "XNAS", "AAPL", Side.SELL, 400, OrderType.LIMIT,
                                                 1_900_500, TimeInForce.DAY), received_ns=T0) is None


def test_both_ends_keep_sequence_numbers_across_disconnects(tmp_path: Path):
    """Resend needs both stores intact after a drop: no ResetOn* on either side (the gateway
    asks for a new session itself, with ResetSeqNumFlag on its Logon, when it must)."""
    initiator = defaults_of(render_initiator_settings(template_path().read_text(), sender="BD", run_dir=tmp_path,
                                                      venues=["XNAS"], sessions={"XNAS": ("127.0.0.1", 1)}))
    acceptor = defaults_of(render_acceptor_settings(acceptor_template().read_text(), venue="XNAS", port=1,
                                                    run_dir=tmp_path))
    for settings in (initiator, acceptor):
        assert [settings[k] for k in ("ResetOnLogon", "ResetOnLogout", "ResetOnDisconnect", "PersistMessages")] == \
            ["N", "N", "N", "Y"], settings
        assert settings["FileStorePath"]
    # A user's own acceptor settings keep what they say.
    mine = render_acceptor_settings("[DEFAULT]\nResetOnDisconnect=Y\n[SESSION]\nTargetCompID=BD\n", venue="V",
                                    port=9, run_dir=tmp_path)
    assert defaults_of(mine)["ResetOnDisconnect"] == "Y" and parse_settings("[DEFAULT]\n") == [("DEFAULT", {})]


def test_hold_and_hold_s_are_configured_with_field_named_errors():
    from components.config.live import LiveConfigError, parse_live_config

    config = parse_live_config('[venue_link]\non_disconnect = "hold"\nhold_s = 2.5\n', "t")
    assert (config.venue_link.on_disconnect, config.venue_link.hold_s) == ("hold", 2.5)
    assert parse_live_config("", "t").venue_link.hold_s == 30.0
    for text, problem in (("hold_s = 0", "hold_s"), ("hold_s = -1.0", "hold_s"), ('hold_s = "x"', "hold_s"),
                          ('on_disconnect = "wait"', "on_disconnect")):
        with pytest.raises(LiveConfigError, match=rf"venue_link\.{problem}"):
            parse_live_config(f"[venue_link]\n{text}\n", "t")

"""Issue 10, the gateway's reconciliation parts without sessions: refused messages become records,
reused exec ids flag, the stuck-order watchdog, and finding a refused message in QuickFIX's log."""

from __future__ import annotations

import pytest

fix = pytest.importorskip("quickfix", reason="quickfix is not installed")

from components.domain.orders import OrderType, Side, TimeInForce  # noqa: E402
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport  # noqa: E402
from components.fix import wire as w  # noqa: E402
from live.adapters.fix.gateway import FixVenueGateway  # noqa: E402
from live.adapters.fix.reconcile import raw_message  # noqa: E402

SEC = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.ns = 1_700_000_000 * SEC

    def __call__(self) -> int:
        return self.ns


def gateway(clock: Clock) -> FixVenueGateway:
    gw = FixVenueGateway(["XNAS"], now_ns=clock, stuck_after_s={"ROUTED": 10.0, "PENDING_CANCEL": 5.0},
                         status_timeout_s=1.0)
    gw._up["XNAS"] = True
    return gw


def working(gw: FixVenueGateway, child_id: str, clock: Clock) -> ChildOrder:
    child = ChildOrder(child_id, f"ORD-{child_id}", "XNAS", "AAPL", Side.BUY, 100, OrderType.LIMIT, 1_900_000,
                       TimeInForce.DAY)
    gw._children[child_id] = child
    gw._working.add(child_id)
    gw._sent_ns[child_id] = clock.ns
    return child


def queued(gw: FixVenueGateway) -> list:
    return list(gw._pump._queue.queue)


def test_an_execution_report_for_an_unknown_order_is_recorded_not_dropped():
    # Before: logged at WARNING and dropped.
    clock = Clock()
    gw = gateway(clock)
    message = fix.Message()
    message.getHeader().setField(35, "8")
    for tag, value in ((11, "NOPE"), (17, "E1"), (150, "F"), (32, "100"), (31, "10.00")):
        message.setField(tag, value)
    gw._on_execution_report({w.CL_ORD_ID: "NOPE", w.EXEC_TYPE: "F"}, "XNAS", message)
    (report,) = queued(gw)
    assert report.kind is ExecKind.REFUSED and report.order_id == "" and report.reason.startswith("UNKNOWN_ORDER")
    assert "11=NOPE" in report.text and gw.refused == {"XNAS": 1}


def test_an_unparseable_fill_is_recorded_and_its_order_reconciled():
    clock = Clock()
    gw = gateway(clock)
    working(gw, "C1", clock)
    fields = {w.CL_ORD_ID: "C1", w.EXEC_TYPE: "F", w.EXEC_ID: "E1", w.LAST_QTY: "100", w.LAST_PX: "10.000001",
              w.LEAVES_QTY: "0"}
    gw._on_execution_report(fields, "XNAS", fix.Message())
    report, then = queued(gw)
    assert report.kind is ExecKind.REFUSED and report.order_id == "ORD-C1" and report.reason.startswith("UNPARSEABLE")
    assert callable(then)  # the OrderStatusRequest, sent from the pump


def test_a_reused_exec_id_with_other_content_is_a_new_fill_and_a_flag_a_resend_is_not():
    clock = Clock()
    gw = gateway(clock)
    working(gw, "C1", clock)

    def fill(qty, px):
        return ExecutionReport(ExecKind.FILL, "XNAS", "C1", "ORD-C1", clock.ns, last_qty=qty, last_px=px,
                               leaves_qty=50, exec_id="E1")
    assert not gw._seen_fill("C1", fill(50, 10))
    assert gw._seen_fill("C1", fill(50, 10))  # a resend
    assert not gw._seen_fill("C1", fill(20, 11)) and len(queued(gw)) == 1  # booked, and a flag to follow
    queued(gw)[0]()
    flag = queued(gw)[-1]
    assert flag.kind is ExecKind.FLAGGED and flag.reason.startswith("EXEC_ID_REUSED") and gw.flagged == {"XNAS": 1}


def test_the_watchdog_finds_children_unacknowledged_or_with_a_cancel_unanswered_once():
    clock = Clock()
    gw = gateway(clock)
    working(gw, "C1", clock)
    working(gw, "C2", clock)
    gw._acked.add("C2")
    gw._cancel_sent_ns["C2"] = clock.ns
    clock.ns += 6 * SEC
    assert gw.stuck() == [("XNAS", "C2", "PENDING_CANCEL", 6.0)]
    clock.ns += 5 * SEC
    assert gw.stuck() == [("XNAS", "C1", "ROUTED", 11.0)]
    assert gw.stuck() == []  # each once
    gw._up["XNAS"] = False
    working(gw, "C3", clock)
    clock.ns += 20 * SEC
    assert gw.stuck() == []  # a venue away is not watched


def test_a_refused_message_is_found_in_the_session_message_log(tmp_path):
    log = tmp_path / "FIX.4.4-BD-XNAS.messages.current.log"
    line = "20261205-01:00:00.000000000 : 8=FIX.4.4\x019=5\x0135=8\x0134=7\x0149=XNAS\x0156=BD\x0111=C1\x0110=000\x01"
    other = line.replace("\x0134=7\x01", "\x0134=8\x01")
    log.write_text(f"{line}\n{other}\n", encoding="latin-1")
    assert raw_message(log, "XNAS", 7) == "8=FIX.4.4|9=5|35=8|34=7|49=XNAS|56=BD|11=C1|10=000|"
    assert raw_message(log, "XNAS", 9) == "" and raw_message(None, "XNAS", 7) == ""


def test_messages_read_fix42_fills_venue_expiry_and_a_venues_own_reject_words():
    from live.adapters.fix import messages as m

    child = ChildOrder("C1", "ORD-C1", "XNAS", "AAPL", Side.BUY, 100, OrderType.LIMIT, 1_900_000, TimeInForce.DAY)
    base = {w.CL_ORD_ID: "C1", w.EXEC_ID: "E1", w.ORDER_QTY: "100"}
    fill = m.execution_report({**base, w.EXEC_TYPE: "2", w.LAST_QTY: "100", w.LAST_PX: "190.25",
                               w.LEAVES_QTY: "0"}, child, received_ns=1)
    assert (fill.kind, fill.last_qty, fill.last_px) == (ExecKind.FILL, 100, 1_902_500)  # was None (ignored)
    expired = m.execution_report({**base, w.EXEC_TYPE: "C", w.CUM_QTY: "40"}, child, received_ns=1)
    assert (expired.kind, expired.reason, expired.last_qty) == (ExecKind.CANCELED, "END_OF_DAY", 60)
    own = m.execution_report({**base, w.EXEC_TYPE: "8", w.ORD_REJ_REASON: "2", w.TEXT: "Order type not allowed"},
                             child, received_ns=1)
    assert own.reason == "VENUE_REJECTED: OrdRejReason=2: Order type not allowed"
    ours = m.execution_report({**base, w.EXEC_TYPE: "8", w.TEXT: "UNKNOWN_SYMBOL: ZZZ"}, child, received_ns=1)
    assert ours.reason == "UNKNOWN_SYMBOL"  # our simulated venues' codes are unchanged
    assert m.session_exec_id("E1", 1) == "E1" and m.session_exec_id("E1", 3) == "E1/S3"


def test_a_duplicate_clordid_reject_leaves_the_child_working_and_a_working_child_is_not_sent_twice():
    # A rebuilt OMS re-sends a child the venue already has: the venue answers 150=8 103=6
    # (Duplicate Order); the child is still working there, so later fills and cancels count.
    clock = Clock()
    gw = gateway(clock)
    child = working(gw, "C1", clock)
    fields = {w.CL_ORD_ID: "C1", w.EXEC_TYPE: w.EXEC_REJECTED, w.ORD_REJ_REASON: "6", w.TEXT: "Duplicate Order"}
    gw._on_execution_report(fields, "XNAS", fix.Message())
    (report,) = queued(gw)
    assert report.kind is ExecKind.REJECTED and report.reason.startswith("VENUE_REJECTED: OrdRejReason=6")
    assert "C1" in gw._working
    sent = []
    gw._deliver = lambda message, sid, venue: sent.append(message) or True
    gw._sessions["XNAS"] = object()
    gw.send(child)  # the same child again: the venue has it
    assert sent == [] and "C1" in gw._working
    other = ChildOrder("C2", "ORD-C2", "XNAS", "AAPL", Side.BUY, 100, OrderType.LIMIT, 1_900_000, TimeInForce.DAY)
    gw.send(other)
    assert len(sent) == 1


def test_any_other_reject_still_ends_the_child():
    clock = Clock()
    gw = gateway(clock)
    working(gw, "C1", clock)
    fields = {w.CL_ORD_ID: "C1", w.EXEC_TYPE: w.EXEC_REJECTED, w.ORD_REJ_REASON: "60", w.TEXT: "something else"}
    gw._on_execution_report(fields, "XNAS", fix.Message())
    assert "C1" not in gw._working

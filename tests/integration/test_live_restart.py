"""A live process restarted on the same event log carries on where the last one stopped.

The first process (embedded FIX venues, SQLite log) fills one order, leaves a
DAY limit working at its venue and has one blocked by risk; the second,
built on the same log, must show the same orders, recognise a retried
client_order_id, remember the day's risk, hold the same books, and close
the order its venue (restarted empty with the process) no longer holds,
with a reason, continuing the hash chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.events import STATUS_OF, EventType  # noqa: E402
from components.domain.lifecycle import ALLOWED  # noqa: E402
from components.domain.money import to_units  # noqa: E402
from components.domain.orders import OrderStatus, Side  # noqa: E402
from components.eventstore.sqlite import SqliteEventStore  # noqa: E402
from live.bootstrap import LiveApp, build_live  # noqa: E402
from components.config.live import parse_live_config  # noqa: E402
from live.recovery import VENUE_RESTARTED  # noqa: E402
from live.security import Principal  # noqa: E402
from live.entrypoints.service import OrderService  # noqa: E402
from tests.live_configs import one_venue_market  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from twin.scripted import AgentOrder, Submit  # noqa: E402

BASE = one_venue_market() + """
[session]
enabled = false
[risk]
max_order_notional = "50000.00"
max_daily_notional_per_account = "60000.00"
"""
WHO = Principal("ADV-1", "test")


def order(client_order_id: str, quantity: int, order_type: str = "LIMIT", limit: str | None = None) -> dict:
    body = {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": quantity, "order_type": order_type,
            "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": client_order_id}
    if limit is not None:
        body["limit_price"] = limit
    return body


FILLED = order("C-FILL", 100, "MARKET")
RESTING = order("C-REST", 100, limit="189.00")  # below the only offer: rests at XNAS
BLOCKED = order("C-BIG", 1000, limit="189.00")  # 189,000 > max_order_notional
# 28,275 alone is within the 60,000 daily limit; on top of the first process's ~37,900 it is not.
OVER_DAY = order("C-DAY", 150, limit="188.50")


def build(run_dir: Path, extra: str = "") -> LiveApp:
    return build_live(parse_live_config(f'run_dir = "{run_dir}"\n' + BASE + extra, "test"))


def by_client_id(live: LiveApp) -> dict[str, dict]:
    service = OrderService(live)
    views = {}
    for o in list(live.platform.oms.orders.values()):
        reply = service.get(o.order_id, WHO)
        assert reply.status == 200
        views[o.spec.client_order_id] = reply.body
    return views


def assert_served_the_same(before: dict[str, dict], after: dict[str, dict]) -> None:
    """Every order's GET body, field by field: what is served is a record, derived from stored events."""
    assert sorted(after) == sorted(before)
    for client_order_id, view in before.items():
        assert sorted(after[client_order_id]) == sorted(view), client_order_id
        for field, value in view.items():
            assert after[client_order_id][field] == value, (client_order_id, field, value,
                                                            after[client_order_id][field])


@pytest.fixture()
def first_process(tmp_path):
    live = build(tmp_path)
    try:
        live.start()
        assert live.restored.events == 0
        script = LiveScript(live)
        script.run([AgentOrder(0, "XNAS", "AAPL", Side.SELL, 500, to_units("190.05")),
                    Submit(0, FILLED), Submit(0, RESTING), Submit(0, BLOCKED)])
        state = {
            "views": by_client_id(live),
            "books": live.platform.ledger.snapshot(),
            "day_notional": live.platform.risk.day_notional("ACCT-1"),
            "events": len(live.log),
        }
    finally:
        live.close()
    return tmp_path, state


def test_a_restarted_process_rebuilds_every_order_and_closes_what_its_venues_lost(first_process):
    run_dir, before = first_process
    assert {k: v["status"] for k, v in before["views"].items()} == {
        "C-FILL": "CONFIRMED", "C-REST": "ROUTED", "C-BIG": "BLOCKED"}

    live = build(run_dir)
    try:
        # Rebuilt at build, before anything runs: the same orders, views and books.
        assert live.restored.events == before["events"] and live.restored.orders == 3
        rebuilt = by_client_id(live)
        assert_served_the_same(before["views"], rebuilt)  # accepted_at included, to the microsecond
        assert live.platform.ledger.snapshot() == before["books"]
        assert live.platform.risk.day_notional("ACCT-1") == before["day_notional"] > 0

        live.start()
        script = LiveScript(live)
        script.wait_quiet()
        assert live.restored.children_closed == 1 and live.restored.close_reason == VENUE_RESTARTED
        banner = "\n".join(live.describe())
        assert f"{before['events']} events replayed" in banner and "3 orders restored" in banner
        assert "1 working child order(s) closed (VENUE_RESTARTED)" in banner

        after = by_client_id(live)
        assert after["C-REST"]["status"] == "CANCELED" and after["C-REST"]["status_reason"] == VENUE_RESTARTED
        assert after["C-FILL"] == rebuilt["C-FILL"] and after["C-BIG"] == rebuilt["C-BIG"]

        # A retry of the first process's order is recognised: the original, not a second order.
        service = OrderService(live)
        retry = service.submit(dict(FILLED), WHO)
        assert retry.status == 200 and retry.body["order_id"] == before["views"]["C-FILL"]["order_id"]
        conflict = service.submit({**FILLED, "quantity": 101}, WHO)
        assert conflict.status == 409

        # The day's approved notional carried over: this order breaches the daily limit only because of it.
        refused = service.submit(dict(OVER_DAY), WHO)
        assert refused.status == 201 and refused.body["status"] == "BLOCKED"
        failed = [d for d in refused.body["risk_decisions"] if d["outcome"] == "FAIL"]
        assert [d["policy"] for d in failed] == ["max_daily_notional"], failed
        assert len(live.platform.oms.orders) == 4
        assert live.platform.ledger.snapshot() == before["books"]  # nothing filled since the restart

        # The restarted venue numbers its exec ids from 1 again: a new fill is not taken for an old one.
        script.run([AgentOrder(0, "XNAS", "AAPL", Side.SELL, 100, to_units("190.05")),
                    Submit(0, order("C-NEW", 10, "MARKET"))])
        assert by_client_id(live)["C-NEW"]["status"] == "CONFIRMED"
        cash, positions = live.platform.ledger.snapshot()
        assert positions["ACCT-1"]["AAPL"] == before["books"][1]["ACCT-1"]["AAPL"] + 10
        events = list(live.log.read())
    finally:
        live.close()

    with SqliteEventStore(run_dir / "events.sqlite", read_only=True) as stored:
        assert stored.verify().ok and len(stored) == len(events) > before["events"]
    assert len({e.event_id for e in events}) == len(events)
    resting_id = before["views"]["C-REST"]["order_id"]
    assert_legal_lifecycle([e for e in events if e.order_id == resting_id])
    closed = [e for e in events if e.order_id == resting_id][-1]
    assert closed.event_type is EventType.ORDER_CANCELED and closed.detail("reason") == VENUE_RESTARTED
    assert [e.stream_seq for e in events if e.order_id == resting_id] == [1, 2, 3, 4, 5]


def test_a_fresh_process_on_the_same_day_limit_would_have_approved_it(tmp_path):
    """The control for the daily-limit assertion above: without the earlier fills the order passes."""
    live = build(tmp_path, '[event_log]\nkind = "memory"\n')
    try:
        live.start()
        assert live.restored.events == 0 and "nothing to rebuild" in "\n".join(live.describe())
        reply = OrderService(live).submit(dict(OVER_DAY), WHO)
        assert reply.status == 201 and reply.body["status"] == "ROUTED"
    finally:
        live.close()


def assert_legal_lifecycle(events) -> None:
    status = None
    for event in events:
        target = STATUS_OF.get(event.event_type)
        if target is None:
            continue
        if status is None:
            assert target is OrderStatus.NEW, event.event_type
        else:
            assert target in ALLOWED[status], f"{status} -> {target}"
        status = target


SECOND_ACCOUNT = """
[[accounts]]
account_id = "ACCT-2"
client_id = "CL-2"
advisor_id = "ADV-1"
cash = "1000000.00"
"""
BLOCK = {"block_ref": "BLK-1", "advisor_id": "ADV-1", "symbol": "AAPL", "side": "BUY", "policy": "pro_rata",
         "order_type": "LIMIT", "limit_price": "190.05", "time_in_force": "DAY",
         "members": [{"account_id": "ACCT-1", "quantity": 150}, {"account_id": "ACCT-2", "quantity": 150}]}


def test_a_block_working_at_the_restart_is_re_formed_from_the_log_and_allocated(tmp_path):
    live = build(tmp_path, SECOND_ACCOUNT)
    try:
        live.start()
        script = LiveScript(live)
        script.run([AgentOrder(0, "XNAS", "AAPL", Side.SELL, 100, to_units("190.05"))])
        reply = OrderService(live).submit_block(dict(BLOCK), WHO)
        assert reply.status == 201, reply.body
        script.wait_quiet()
        parent_id = reply.body["parent_order_id"]
        parent = live.platform.oms.orders[parent_id]
        assert (parent.status, parent.filled_qty) == (OrderStatus.PARTIALLY_FILLED, 100)  # 200 rest at XNAS
    finally:
        live.close()

    live = build(tmp_path, SECOND_ACCOUNT)
    try:
        assert live.platform.desk.is_parent(parent_id)  # re-formed from the log at build
        live.start()
        LiveScript(live).wait_quiet()
        assert live.restored.blocks_not_recovered == 0
        oms = live.platform.oms
        parent = oms.orders[parent_id]
        members = [m.order_id for m in live.platform.desk.members(parent_id)]
        assert parent.status is OrderStatus.CONFIRMED  # its child closed at the restart, the 100 allocated
        fills = {oms.orders[m].spec.account_id: oms.orders[m].filled_qty for m in members}
        assert fills == {"ACCT-1": 50, "ACCT-2": 50}  # pro rata to the statement
        assert {oms.orders[m].filled_notional for m in members} == {50 * to_units("190.05")}
        events = list(live.log.read())
    finally:
        live.close()
    for m in members:
        reasons = [e.detail("reason") for e in events if e.order_id == m and e.event_type is EventType.ORDER_CANCELED]
        assert reasons == ["BLOCK_PARTIALLY_FILLED"], reasons  # short of its request, never BLOCK_NOT_RECOVERED
        assert_legal_lifecycle([e for e in events if e.order_id == m])


def test_a_halt_survives_a_restart(tmp_path):
    from components.domain.commands import SetTradingState

    live = build(tmp_path)
    try:
        live.start()
        live.runtime.dispatch(SetTradingState("HALTED", "operator:sre", "incident 42", live.clock.now_ns()))
        assert "trading state: HALTED" in live.describe()
    finally:
        live.close()
    live = build(tmp_path)
    try:
        live.start()
        assert "trading state: HALTED" in live.describe()  # rebuilt from the TradingStateChanged event
        reply = OrderService(live).submit(order("C-HALT", 10, "MARKET"), WHO)
        assert reply.status == 201 and reply.body["status"] == "BLOCKED"
    finally:
        live.close()

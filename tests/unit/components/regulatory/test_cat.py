"""CAT events from a hand-made day: reroutes, partial fills, cancels, a block; linkage checks; repairs."""

from __future__ import annotations

from collections import Counter

import pytest

from components.regulatory.cat import Rejection, cat_events, check_linkage, repair
from components.regulatory.completeness import check_cat
from components.regulatory.orders import collect_orders
from tests.unit.components.regulatory.kit import LogBuilder, ns

D = "2026-11-24"
PX = 1_900_000


def day() -> LogBuilder:
    b = LogBuilder()
    b.order("R1", ns(D), qty=300, limit=PX)  # routed to XNAS, refused there, rerouted to BATS; two partials
    b.route("R1", ns(D), ("C1", "XNAS", 300))
    b.child_rejected("R1", ns(D, "14:30:01"), "C1", "XNAS")
    b.route("R1", ns(D, "14:30:01"), ("C2", "BATS", 300), reroute=True)
    b.fill("R1", ns(D, "14:30:02"), "C2", "BATS", 100, PX, 3000, "TAKER", "B1")
    b.fill("R1", ns(D, "14:30:03"), "C2", "BATS", 200, PX, 6000, "TAKER", "B2", last=True)
    b.allocate("R1", ns(D, "21:00:00"), ("AC-1", 300))
    b.order("X1", ns(D), limit=1_800_000)  # routed, partly filled, rest canceled
    b.route("X1", ns(D), ("C3", "XNAS", 100))
    b.fill("X1", ns(D, "14:31:00"), "C3", "XNAS", 40, 1_800_000, -800, "MAKER", "X1")
    b.cancel("X1", ns(D, "14:40:00"), 60)
    b.allocate("X1", ns(D, "21:00:00"), ("AC-1", 40))
    b.order("K1", ns(D), qty=100, limit=PX, account="AC-2")  # a block of two customer orders
    b.order("K2", ns(D), qty=50, limit=PX, account="AC-3")
    b.order("B", ns(D), qty=150, limit=PX, account="FIRM-AVGPX", block=True)
    b.route("K1", ns(D), block_id="B")
    b.route("K2", ns(D), block_id="B")
    b.route("B", ns(D), ("CB", "XNAS", 150))
    b.fill("B", ns(D, "14:32:00"), "CB", "XNAS", 150, PX, 4500, "TAKER", "X2", last=True)
    b.fill("K1", ns(D, "14:32:00"), "", "", 100, PX, 0, "", "B/K1", last=True, block_id="B")
    b.fill("K2", ns(D, "14:32:00"), "", "", 50, PX, 0, "", "B/K2", last=True, block_id="B")
    b.allocate("K1", ns(D, "21:00:00"), ("AC-2", 100), block_id="B")
    b.allocate("K2", ns(D, "21:00:00"), ("AC-3", 50), block_id="B")
    b.allocate("B", ns(D, "21:00:00"), ("AC-2", 100), ("AC-3", 50), block_id="B")
    return b


@pytest.fixture()
def built():
    b = day()
    records, executions = cat_events(collect_orders(b.events).values(), "TWIN")
    return b, records, executions


def test_every_order_event_appears_with_its_kind(built):
    _b, records, executions = built
    assert Counter(r["type"] for r in records) == {"MENO": 5, "MEOR": 4, "MEOF": 2, "MEOC": 1, "MEPA": 4}
    assert [x.exec_id for x in executions] == ["B1", "B2", "X1", "X2"]
    routes = [(r["orderID"], r["routedOrderID"], r["destination"]) for r in records if r["type"] == "MEOR"]
    assert routes == [("R1", "C1", "XNAS"), ("R1", "C2", "BATS"), ("X1", "C3", "XNAS"), ("B", "CB", "XNAS")]
    flags = [r["routeRejectedFlag"] for r in records if r["type"] == "MEOR"]
    assert flags == [True, False, False, False]  # XNAS refused C1; the reroute to BATS went through


def test_block_is_a_representative_order_linked_to_its_customer_orders(built):
    _b, records, _x = built
    (block,) = [r for r in records if r["type"] == "MENO" and r["orderID"] == "B"]
    assert block["representativeInd"] == "YF"
    assert [a["orderID"] for a in block["aggregatedOrders"]] == ["K1", "K2"]
    fulfils = [(r["clientDetails"]["orderID"], r["firmDetails"]["orderID"], r["quantity"])
               for r in records if r["type"] == "MEOF"]
    assert fulfils == [("K1", "B", 100), ("K2", "B", 50)]
    assert not [r for r in records if r["type"] == "MEPA" and r["orderID"] == "B"]  # allocated via K1, K2


def test_linkage_and_reconciliation_pass_on_a_complete_day(built):
    b, records, executions = built
    assert check_linkage(records, executions) == []
    assert all(c.ok for c in check_cat(b.events, records, executions))


def test_a_route_without_its_new_order_is_caught(built):
    b, records, executions = built
    broken = [r for r in records if not (r["type"] == "MENO" and r["orderID"] == "R1")]
    problems = check_linkage(broken, executions)
    assert {(p.rule, p.detail) for p in problems} >= {("MEOR->MENO", "order R1 has no New Order")}
    failing = [c for c in check_cat(b.events, broken, executions) if not c.ok]
    assert {c.name for c in failing} == {"MENO count = orders received", "MENO shares = shares received",
                                         "lifecycle linkage"}
    assert "EV-0000001" in failing[0].events  # R1's OrderReceived is named


def test_a_fill_on_an_unknown_route_and_an_allocation_without_fill_are_caught(built):
    _b, records, executions = built
    no_route = [r for r in records if not (r["type"] == "MEOR" and r["routedOrderID"] == "C3")]
    rules = {p.rule for p in check_linkage(no_route, executions)}
    assert "fill->route" in rules
    unfilled = [x for x in executions if x.order_id != "X1"]
    assert [p.ref for p in check_linkage(records, unfilled) if p.rule == "MEPA->fill"]


def test_a_fulfillment_whose_block_was_never_routed_is_caught(built):
    _b, records, executions = built
    broken = [r for r in records if not (r["type"] == "MEOR" and r["orderID"] == "B")]
    assert {p.rule for p in check_linkage(broken, executions)} >= {"MEOF->route"}


def test_rejection_repaired_from_the_log(built):
    _b, records, _x = built
    submitted = [dict(r) for r in records]
    bad = next(r for r in submitted if r["type"] == "MEOR" and r["routedOrderID"] == "C2")
    bad["orderID"] = "R1-TYPO"
    (fix,) = repair([Rejection(bad["firmROEID"], 9001, ("LINKAGE",))], submitted, records)
    (rec,) = fix.records
    assert (rec["actionType"], rec["errorROEID"], rec["orderID"]) == ("RPR", 9001, "R1")
    unknown = repair([Rejection("20261124_999", 1, ("X",))], submitted, records)
    assert unknown[0].unresolved and not unknown[0].records


def test_a_log_cut_inside_a_lifecycle_is_refused():
    events = day().events
    with pytest.raises(ValueError, match="event EV-0000002: order R1 starts with OrderValidated"):
        collect_orders(events[1:])

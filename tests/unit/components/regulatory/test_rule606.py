"""Rule 606(a)(1) figures on a hand-computed small quarter (every number worked out below)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.regulatory.completeness import check_606
from components.regulatory.orders import collect_orders
from components.regulatory.rule606 import (
    OrderClass,
    VenueInfo,
    classify,
    compute_606,
    parse_membership,
    summarize,
)
from tests.unit.components.regulatory.kit import LogBuilder, ns

M, ML, NML, OT = OrderClass.MARKET, OrderClass.MARKETABLE_LIMIT, OrderClass.NON_MARKETABLE_LIMIT, OrderClass.OTHER
VENUES = {v: VenueInfo(f"{v} venue", v, f"about {v}") for v in ("XNAS", "BATS", "WHSL")}
PX = 1_900_000  # $190.00


def quarter_log() -> LogBuilder:
    b = LogBuilder()
    oct5, nov2, dec7 = "2026-10-05", "2026-11-02", "2026-12-07"
    # October, AAPL (S&P 500)
    b.order("O1", ns(oct5))  # market 100 -> XNAS, taker: fee 30 units/share
    b.route("O1", ns(oct5), ("C1", "XNAS", 100))
    b.fill("O1", ns(oct5), "C1", "XNAS", 100, PX, 3000, "TAKER", "X1", last=True)
    b.order("O2", ns(oct5), qty=200, limit=PX)  # limit, first fill takes -> marketable limit, BATS
    b.route("O2", ns(oct5), ("C2", "BATS", 200))
    b.fill("O2", ns(oct5), "C2", "BATS", 200, PX, 6000, "TAKER", "B1", last=True)
    b.order("O3", ns(oct5), side="SELL", limit=1_910_000)  # rests, maker rebate 20 units/share
    b.route("O3", ns(oct5), ("C3", "XNAS", 100))
    b.fill("O3", ns(oct5, "15:00:00"), "C3", "XNAS", 100, 1_910_000, -2000, "MAKER", "X2", last=True)
    b.order("O4", ns(oct5), limit=1_890_000)  # routed, never filled, canceled -> non-marketable
    b.route("O4", ns(oct5), ("C4", "XNAS", 100))
    b.cancel("O4", ns(oct5, "15:10:00"), 100)
    b.order("O5", ns(oct5), limit=1_890_000)  # canceled before any route: not in the report
    b.cancel("O5", ns(oct5), 100)
    b.order("O6", ns(oct5), qty=300)  # market split over two venues
    b.route("O6", ns(oct5), ("C6a", "XNAS", 100), ("C6b", "BATS", 200))
    b.fill("O6", ns(oct5), "C6a", "XNAS", 100, PX, 3000, "TAKER", "X3")
    b.fill("O6", ns(oct5), "C6b", "BATS", 200, PX, 6000, "TAKER", "B2", last=True)
    # November, SPY (not in the S&P 500): a wholesaler paying 20 units/share (payment for order flow)
    b.order("O7", ns(nov2), symbol="SPY", qty=10)
    b.route("O7", ns(nov2), ("C7", "WHSL", 10))
    b.fill("O7", ns(nov2), "C7", "WHSL", 10, 5_600_000, -200, "TAKER", "W1", last=True)
    b.order("O8", ns(nov2), symbol="SPY", qty=30)
    b.route("O8", ns(nov2), ("C8", "WHSL", 30))
    b.fill("O8", ns(nov2), "C8", "WHSL", 30, 5_600_000, -600, "TAKER", "W2", last=True)
    b.order("O9", ns(nov2), symbol="SPY", qty=50, limit=5_500_000, tif="IOC")
    b.route("O9", ns(nov2), ("C9", "XNAS", 50))
    b.cancel("O9", ns(nov2), 50, "IOC_REMAINDER")
    # December, AAPL: a block of two customer orders; the block takes 300 at XNAS
    b.order("K1", ns(dec7), qty=100, limit=PX, account="AC-1")
    b.order("K2", ns(dec7), qty=200, limit=PX, account="AC-2")
    b.order("B1", ns(dec7), qty=300, limit=PX, account="FIRM-AVGPX", block=True)
    b.route("K1", ns(dec7), block_id="B1")
    b.route("K2", ns(dec7), block_id="B1")
    b.route("B1", ns(dec7), ("CB", "XNAS", 300))
    b.fill("B1", ns(dec7), "CB", "XNAS", 300, PX, 9000, "TAKER", "X4", last=True)
    b.fill("K1", ns(dec7), "", "", 100, PX, 0, "", "B1/K1", last=True, block_id="B1")
    b.fill("K2", ns(dec7), "", "", 200, PX, 0, "", "B1/K2", last=True, block_id="B1")
    return b


@pytest.fixture(scope="module")
def report():
    orders = collect_orders(quarter_log().events)
    return compute_606([orders.values()], bd="Test BD", year=2026, quarter=4, sp500=frozenset({"AAPL"}),
                       venues=VENUES)


def _section(report, month):
    (s,) = [s for s in report.sections if s.month == month]
    return s


def test_october_percentages_match_hand_computation(report):
    s = _section(report, 10)
    assert s.section == "rSP500"
    # 5 orders (O5 never routed): market O1, O6; marketable limit O2; non-marketable O3, O4.
    assert s.ndo_pct == D("100.00")
    assert dict(s.class_pct) == {M: D("40.00"), ML: D("20.00"), NML: D("40.00"), OT: D("0.00")}
    xnas, bats = s.venues
    assert (xnas.mic, xnas.order_pct) == ("XNAS", D("80.00"))  # O1, O3, O4, O6 of 5
    assert (bats.mic, bats.order_pct) == ("BATS", D("40.00"))  # O2, O6 of 5
    assert dict(xnas.pct) == {M: D("100.00"), ML: D("0.00"), NML: D("100.00"), OT: None}
    assert dict(bats.pct) == {M: D("50.00"), ML: D("100.00"), NML: D("0.00"), OT: None}


def test_october_net_payments_match_hand_computation(report):
    xnas, bats = _section(report, 10).venues
    # XNAS market: fees 3000 + 3000 units on 200 shares -> -$0.60, -30 cents per 100 shares.
    assert (xnas.net_usd[M], xnas.net_cph[M]) == (D("-0.60"), D("-30.0000"))
    # XNAS non-marketable: a 2000-unit rebate on 100 shares -> +$0.20, +20 cents per 100 shares.
    assert (xnas.net_usd[NML], xnas.net_cph[NML]) == (D("0.20"), D("20.0000"))
    assert (xnas.net_usd[ML], xnas.net_cph[ML]) == (D("0.00"), None)
    assert (bats.net_usd[M], bats.net_cph[M]) == (D("-0.60"), D("-30.0000"))
    assert (bats.net_usd[ML], bats.net_cph[ML]) == (D("-0.60"), D("-30.0000"))


def test_november_wholesaler_payment_for_order_flow(report):
    s = _section(report, 11)
    assert s.section == "rOtherStocks"
    assert dict(s.class_pct) == {M: D("66.67"), ML: D("0.00"), NML: D("33.33"), OT: D("0.00")}
    whsl, xnas = s.venues
    assert (whsl.mic, whsl.order_pct, xnas.order_pct) == ("WHSL", D("66.67"), D("33.33"))
    # 200 + 600 units received on 40 shares: $0.08, 20 cents per 100 shares.
    assert (whsl.net_usd[M], whsl.net_cph[M]) == (D("0.08"), D("20.0000"))


def test_block_customer_orders_counted_not_the_block(report):
    s = _section(report, 12)
    # K1 and K2 count (the block B1 is the firm's representative order); both marketable like B1.
    assert dict(s.class_pct) == {M: D("0.00"), ML: D("100.00"), NML: D("0.00"), OT: D("0.00")}
    (xnas,) = s.venues
    assert (xnas.order_pct, xnas.pct[ML]) == (D("100.00"), D("100.00"))
    assert (xnas.net_usd[ML], xnas.net_cph[ML]) == (D("-0.90"), D("-30.0000"))  # the block's 9000 units once


def test_summarize_adds_our_report(report):
    totals = {(t.month, t.section): t for t in summarize(report)}
    assert totals[(10, "rSP500")].order_pct_sum == D("120.00")  # O6 went to two venues
    assert totals[(10, "rSP500")].class_pct_sum == D("100.00")
    assert totals[(10, "rSP500")].net_usd[M] == D("-1.20")


def test_reconciliation_with_the_log_passes_and_excludes_canceled_before_route(report):
    b = quarter_log()
    orders = collect_orders(b.events)
    checks = check_606([(b.events, orders)], report)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert orders["O5"].canceled_before_route and not orders["O4"].canceled_before_route


def test_reconciliation_catches_a_report_that_does_not_match_the_log(report):
    b = quarter_log()
    b.order("O10", ns("2026-10-06"))  # the log has one more routed, filled order than the report
    b.route("O10", ns("2026-10-06"), ("C10", "XNAS", 100))
    b.fill("O10", ns("2026-10-06"), "C10", "XNAS", 100, PX, 3000, "TAKER", "X9", last=True)
    checks = {c.name: c for c in check_606([(b.events, collect_orders(b.events))], report)}
    assert not checks["net payment (USD) = -(venue fees of routed orders), to rounding"].ok


def test_classify_with_nbbo_at_receipt():
    orders = collect_orders(quarter_log().events)
    o3 = orders["O3"]  # sell limit 191.00
    assert classify(o3, (1_910_000, 1_910_100)) is ML  # bid at the limit: marketable
    assert classify(o3, (1_909_900, 1_910_100)) is NML
    assert classify(orders["O1"], (1, 2)) is M


def test_membership_file_errors_name_the_line():
    assert parse_membership("# c\nAAPL\n\nBRK.B  # class B\n") == frozenset({"AAPL", "BRK.B"})
    with pytest.raises(ValueError, match="sp line 2: 'aapl'"):
        parse_membership("MSFT\naapl\n", "sp")


@given(st.text(max_size=60))
def test_membership_parses_or_names_a_line(text):
    try:
        members = parse_membership(text, "f")
    except ValueError as exc:
        assert str(exc).startswith("f line ")
    else:
        assert all(m.isupper() for m in members)


def test_unknown_venue_is_refused():
    orders = collect_orders(quarter_log().events)
    with pytest.raises(ValueError, match="venue 'BATS'"):
        compute_606([orders.values()], bd="X", year=2026, quarter=4, sp500=frozenset(),
                    venues={"XNAS": VENUES["XNAS"], "WHSL": VENUES["WHSL"]})


def test_nbbo_at_receipt_decides_marketability_in_the_report():
    orders = collect_orders(quarter_log().events)
    orders["O3"].nbbo_at_receipt = (1_910_000, 1_910_100)  # the sell limit 191.00 met the bid on arrival
    orders["O2"].nbbo_at_receipt = (1_899_900, 1_900_100)  # the buy limit 190.00 was below the offer
    report = compute_606([orders.values()], bd="T", year=2026, quarter=4, sp500=frozenset({"AAPL"}), venues=VENUES)
    october = _section(report, 10)
    assert dict(october.class_pct) == {M: D("40.00"), ML: D("20.00"), NML: D("40.00"), OT: D("0.00")}
    xnas, bats = october.venues
    assert (xnas.pct[ML], bats.pct[ML]) == (D("100.00"), D("0.00"))  # O3 (XNAS) is now the marketable one

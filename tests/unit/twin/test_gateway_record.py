"""The venue gateway's record of a run, kept as columns (issue 19): it gives back what was appended,
exactly, and holds far less than one object per entry."""

from __future__ import annotations

import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity
from twin.gateway_record import ChildSends, VenueFills


def _fill(n: int, venue: str = "XNAS", **kw) -> ExecutionReport:
    fields = dict(last_qty=100 + n % 7, last_px=1_900_000 + n, leaves_qty=0, liquidity=Liquidity.TAKER,
                  fee=-30 * n, exec_id=f"{venue}-E{n}")
    fields.update(kw)
    return ExecutionReport(ExecKind.FILL, venue, f"CH-{n:07d}", f"ORD-{n:07d}", 1_700_000_000_000_000_000 + n,
                           **fields)


def test_child_sends_iterate_as_the_pairs_appended():
    sends = ChildSends()
    children = [ChildOrder(f"CH-{n}", f"ORD-{n}", "XNAS", "AAPL", Side.BUY, 100, OrderType.MARKET, None,
                           TimeInForce.IOC) for n in range(3)]
    sends.add(4, children[0])
    sends.append((9, children[1]))
    sends.add(9, children[2])
    assert list(sends) == [(4, children[0]), (9, children[1]), (9, children[2])]
    assert all(a[1] is b for a, b in zip(sends, children)) and len(sends) == 3


def test_sealed_fills_read_back_equal_in_order():
    fills = VenueFills(chunk=4)
    reports = [_fill(n, venue=("XNAS", "ARCX", "BATS")[n % 3]) for n in range(11)]
    for report in reports:
        fills.append(report)
    assert len(fills) == 11 and fills
    assert list(fills) == reports and list(fills) == reports  # read twice: reading keeps them
    back = list(fills)
    assert all(type(getattr(b, f)) is type(getattr(r, f)) for b, r in zip(back, reports)
               for f in ExecutionReport.__dataclass_fields__)


def test_values_a_buffer_would_alter_come_back_exactly():
    odd = [
        _fill(1, last_px=2**70),  # beyond 64 bits
        _fill(2, exec_id="X\x00Y"),  # a NUL in a text
        _fill(3, liquidity=None, reason="VENUE_CANCELED", text="35=8|39=4"),
        _fill(4, fee=True),  # a bool where an int is expected
    ] + [_fill(n, venue=f"V{n}") for n in range(5, 300)]  # more than 256 distinct venues
    fills = VenueFills(chunk=len(odd))
    for report in odd:
        fills.append(report)
    back = list(fills)
    assert back == odd
    assert type(back[3].fee) is bool and back[0].last_px == 2**70 and back[1].exec_id == "X\x00Y"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-(2**64), 2**64), st.sampled_from(["", "E-1", "a\x00b", "é"]),
                          st.sampled_from([None, Liquidity.MAKER, Liquidity.TAKER])), max_size=40),
       st.integers(1, 9))
def test_any_fills_read_back_equal(rows, chunk):
    reports = [_fill(n, last_px=px, exec_id=exec_id, liquidity=liquidity)
               for n, (px, exec_id, liquidity) in enumerate(rows)]
    fills = VenueFills(chunk=chunk)
    for report in reports:
        fills.append(report)
    assert list(fills) == reports and len(fills) == len(reports)


def test_a_sealed_fill_holds_under_120_bytes():
    n = 8_192
    # the ids a fill shares with the OMS's orders and children live outside the record
    ids = [(f"CH-{i:07d}", f"ORD-{i:07d}") for i in range(n)]
    venues = ("XNAS", "ARCX", "BATS")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fills = VenueFills(chunk=4_096)
        for i, (child_id, order_id) in enumerate(ids):
            fills.append(ExecutionReport(ExecKind.FILL, venues[i % 3], child_id, order_id,
                                         1_700_000_000_000_000_000 + i, 100, 1_900_000 + i, 0, Liquidity.TAKER,
                                         -30 * i, "", f"{venues[i % 3]}-E{i}"))
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # kept as objects, a fill is ~140 bytes of report plus its timestamp, price, fee and exec id (~150)
    assert retained / n < 120, retained / n
    assert len(fills) == n and fills.nbytes() < 120 * n

"""reports.tca's lean input paths give what the previous ones gave:

* ``order_inputs`` reads each order's fields from its first event only and skips the events it does not
  use: the same inputs and facts, in the same order, as the row-by-row reading it replaced (kept below
  as the reference), on event logs of interleaved orders of every shape;
* ``load_market(run_dir, tables)`` / ``write_tca(..., market=)`` on the tables just written give the
  same timelines, tape, sources and files as reading the folder back."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from components import tca
from reports import tca as tca_report
from reports.frames import decode_json

FIELDS = ("event_type", "order_id", "timestamp_utc", "symbol", "side", "quantity", "order_type", "limit_price",
          "time_in_force")
FILLS = ("OrderPartiallyFilled", "OrderFilled")
DONE = ("OrderFilled", "OrderCanceled", "OrderExpired", "OrderRejected")


def reference_order_inputs(events: pd.DataFrame):
    """The row-by-row reading ``order_inputs`` replaced (every event's fields read as one row)."""
    if events is None or events.empty:
        return [], {}
    frame = events[list(FIELDS) + ["details"]]
    frame = frame[frame["order_id"].astype(str) != ""]
    per_order: dict = {}
    for values in zip(*(frame[c].tolist() for c in (*FIELDS, "details"))):
        row = dict(zip(FIELDS, values))
        o = per_order.setdefault(row["order_id"], {"fills": [], "routed": [], "arrival": None, "decision": None,
                                                   "done": None, "final": "", "row": row})
        kind, t = row["event_type"], int(row["timestamp_utc"])
        d = decode_json(values[-1], {}) if kind in ("OrderReceived", "OrderRouted", *FILLS) else {}
        if kind == "OrderReceived":
            o["arrival"], o["decision"] = t, d.get("submitted_ns")
        elif kind == "OrderRouted":
            o["routed"] += [str(c.get("venue")) for c in d.get("children") or []]
        elif kind in FILLS:
            o["fills"].append(tca.Fill(t, int(d["last_qty"]), int(d["last_px"]), int(d.get("fee") or 0),
                                       str(d.get("venue") or ""), str(d.get("liquidity") or "")))
        if kind in DONE and o["done"] is None:
            o["done"], o["final"] = t, kind
    inputs, facts = [], {}
    for order_id, o in per_order.items():
        if o["arrival"] is None or not o["routed"]:
            continue
        row, shares = o["row"], {}
        for f in o["fills"]:
            shares[f.venue] = shares.get(f.venue, 0) + f.qty
        venue = max(sorted(shares), key=lambda v: shares[v]) if shares else o["routed"][0]
        limit = None if pd.isna(row["limit_price"]) else int(row["limit_price"])
        inputs.append(tca.OrderInput(
            order_id=order_id, symbol=str(row["symbol"]), side=str(row["side"]), quantity=int(row["quantity"]),
            arrival_ns=o["arrival"], fills=tuple(o["fills"]), order_type=str(row["order_type"]), limit_price=limit,
            decision_ns=None if o["decision"] is None else int(o["decision"]), done_ns=o["done"]))
        facts[order_id] = {"venue": venue, "venues": ",".join(sorted(shares)),
                           "routed_venues": ",".join(dict.fromkeys(o["routed"])),
                           "time_in_force": str(row["time_in_force"]), "final_event": o["final"]}
    return inputs, facts


KINDS = ("OrderSubmitted", "OrderReceived", "RiskApproved", "OrderRouted", "OrderPartiallyFilled", "OrderFilled",
         "OrderCanceled", "OrderExpired", "OrderRejected", "OrderBlocked")
_event = st.tuples(st.sampled_from(["A", "B", "C", ""]), st.sampled_from(KINDS), st.integers(1, 9),
                   st.sampled_from(["XNAS", "BATS"]), st.integers(1, 3))


def _frame(rows) -> pd.DataFrame:
    out = []
    for t, (order_id, kind, n, venue, qty) in enumerate(rows):
        details = {}
        if kind == "OrderReceived":
            details = {"submitted_ns": t - 1} if n % 2 else {}
        elif kind == "OrderRouted":
            details = {"children": [{"venue": venue, "quantity": 100}] * (n % 3)}
        elif kind in FILLS:
            details = {"last_qty": qty * 100, "last_px": 1_000_000 + n, "fee": n - 5, "venue": venue,
                       "liquidity": "MAKER" if n % 2 else "TAKER"}
        # an order's fields come from its first event: later events may differ (the reference reads the first)
        out.append({"event_type": kind, "order_id": order_id, "timestamp_utc": 1_000 + t, "symbol": f"S{n % 2}",
                    "side": "BUY" if n % 3 else "SELL", "quantity": 100 * qty, "order_type": "LIMIT" if n > 5 else
                    "MARKET", "limit_price": 1_000_000 + n if n > 5 else None, "time_in_force": "DAY" if n % 2 else
                    "IOC", "details": json.dumps(details), "actor": "x"})
    return pd.DataFrame(out, columns=[*FIELDS, "details", "actor"])


@settings(max_examples=200, deadline=None)
@given(st.lists(_event, max_size=40))
def test_order_inputs_match_the_row_by_row_reading(rows):
    frame = _frame(rows)
    assert _outcome(tca_report.order_inputs, frame) == _outcome(reference_order_inputs, frame)


def _outcome(read, frame):
    """What ``read(frame)`` returns, or the error it raises (fills beyond the quantity: the same message)."""
    try:
        return read(frame)
    except ValueError as exc:
        return str(exc)


def test_order_inputs_on_a_known_log():
    rows = [("A", "OrderSubmitted", 7, "XNAS", 3), ("B", "OrderReceived", 1, "XNAS", 1),
            ("A", "OrderReceived", 2, "XNAS", 1), ("A", "OrderRouted", 2, "BATS", 1),
            ("B", "OrderRouted", 1, "XNAS", 1), ("A", "OrderFilled", 1, "BATS", 2),
            ("C", "OrderReceived", 3, "XNAS", 1)]
    inputs, facts = tca_report.order_inputs(_frame(rows))
    assert [o.order_id for o in inputs] == ["A", "B"]  # first seen first; C never routed
    a = inputs[0]
    assert a.order_type == "LIMIT" and a.limit_price == 1_000_007  # from A's first event (OrderSubmitted)
    assert a.arrival_ns == 1_002 and a.decision_ns is None and a.done_ns == 1_005
    assert a.fills == (tca.Fill(1_005, 200, 1_000_001, -4, "BATS", "MAKER"),)
    assert a.quantity == 300 and a.symbol == "S1" and a.side == "BUY"
    assert facts["A"] == {"venue": "BATS", "venues": "BATS", "routed_venues": "BATS",
                          "time_in_force": "DAY", "final_event": "OrderFilled"}
    assert inputs[1].decision_ns == 0 and facts["B"]["final_event"] == ""  # submitted_ns: the row index less one


def _market(folder):
    meta = {b"twin.session_close_ns": b"10000", b"twin.nbbo_source": b"recorded"}
    nbbo = pa.table({"symbol": ["XYZ"] * 3, "t_ns": [0, 1_000, 2_500], "bid": [999_900, 1_000_000, 1_000_200],
                     "bid_size": [100, 300, 100], "ask": [1_000_100, 1_000_200, 1_000_400],
                     "ask_size": [200, 100, 100]}).replace_schema_metadata(meta)
    prints = pa.table({"symbol": ["XYZ"], "t_ns": [1_500], "price": [1_000_100], "qty": [100]}).replace_schema_metadata(
        {b"twin.prints_source": b"recorded: the replayed day's prints"})
    pq.write_table(nbbo, folder / tca_report.NBBO_FILE)
    pq.write_table(prints, folder / tca_report.PRINTS_FILE)
    return {tca_report.NBBO_FILE: nbbo, tca_report.PRINTS_FILE: prints}


def _events() -> pd.DataFrame:
    return _frame([("A", "OrderReceived", 1, "XNAS", 1), ("A", "OrderRouted", 1, "XNAS", 1),
                   ("A", "OrderPartiallyFilled", 2, "XNAS", 1), ("A", "OrderCanceled", 2, "XNAS", 1)])


def test_load_market_from_the_written_tables_is_reading_the_files(tmp_path):
    tables = _market(tmp_path)
    from_files, from_tables = tca_report.load_market(tmp_path), tca_report.load_market(tmp_path / "absent", tables)
    (t1, tape1, src1), (t2, tape2, src2) = from_files, from_tables
    assert list(t1) == list(t2) == ["XYZ"] and src1 == src2
    assert {k: v.tolist() for k, v in tape1["XYZ"].items()} == {k: v.tolist() for k, v in tape2["XYZ"].items()}
    for column in ("t_ns", "bid", "bid_size", "ask", "ask_size"):
        assert getattr(t1["XYZ"], column).tolist() == getattr(t2["XYZ"], column).tolist()
    assert t1["XYZ"].end_ns == t2["XYZ"].end_ns == 10_000


def test_write_tca_with_the_tables_writes_the_same_files(tmp_path):
    read, given_ = tmp_path / "read", tmp_path / "given"
    read.mkdir()
    given_.mkdir()
    _market(read)
    tables = _market(given_)
    assert tca_report.write_tca(read, _events()) == tca_report.write_tca(given_, _events(), tables)
    for name in (tca_report.ORDERS_FILE, tca_report.SUMMARY_FILE):
        assert pq.read_table(read / name).equals(pq.read_table(given_ / name), check_metadata=True)

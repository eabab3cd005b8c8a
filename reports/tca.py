"""TCA of a run folder: per-order metrics (``tca_orders.parquet``) and their aggregates by venue, order
type, size bucket and symbol (``tca_summary.parquet``), from the run's event log and market timeline.

Inputs, all in the run folder: ``events.parquet`` (each order's receipt, client submit time, fills with
venue, price, quantity and fee, and its terminal event), ``market_nbbo.parquet`` (every NBBO change of
the session) and ``market_prints.parquet`` (market prints). The formulas are ``components.tca``'s;
this module only gathers inputs, groups and writes. Conventions (docs/tca.md):

* an order is analysed once it was routed (blocked or rejected orders never met the market);
* its ``venue`` is where most of its shares filled (the first routed child's venue if none did);
  ``venues`` lists every venue that filled any of it;
* the unfilled remainder is valued at the NBBO mid at the session close (Perold's opportunity cost);
* where the market is simulated, our own taker fills are market prints too and join the tape for
  VWAP; a replayed day's prints are the recorded ones only (our fills there are hypothetical).

Money per order is exact: Decimal units (1/10,000 dollar) stored as ``decimal128(38, 6)``; ratios are
float bps; every time column ends in ``_ns`` (integer nanoseconds since the epoch, UTC).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from components import tca
from components.domain.events import EventType
from components.domain.money import PRICE_SCALE

from .frames import decode_json

E = EventType
NBBO_FILE = "market_nbbo.parquet"
PRINTS_FILE = "market_prints.parquet"
ORDERS_FILE = "tca_orders.parquet"
SUMMARY_FILE = "tca_summary.parquet"

FILL_TYPES = (E.ORDER_PARTIALLY_FILLED.value, E.ORDER_FILLED.value)
DONE_TYPES = (E.ORDER_FILLED.value, E.ORDER_CANCELED.value, E.ORDER_EXPIRED.value, E.ORDER_REJECTED.value)

SIZE_BUCKETS: tuple[tuple[int, int | None, str], ...] = (
    (1, 99, "1-99"), (100, 499, "100-499"), (500, 1_999, "500-1999"), (2_000, 4_999, "2000-4999"),
    (5_000, 9_999, "5000-9999"), (10_000, None, "10000+"),
)
"""Order size buckets in shares: odd lots, then Rule 605's share ranges, then 10,000 and up."""

DIMENSIONS = ("venue", "order_type", "order_class", "size_bucket", "symbol")
"""The groupings of ``tca_summary.parquet``."""

TCA_BATCH = 1_000
"""Orders measured at a time (per symbol): the timeline searches are made for a batch at once."""
MONEY = pa.decimal128(38, 6)
_QUANT = Decimal("0.000001")


class TcaInputError(ValueError):
    """A run folder TCA cannot read (a missing or malformed file): the message names it."""


def size_bucket(quantity: int) -> str:
    """The ``SIZE_BUCKETS`` label of an order of ``quantity`` shares."""
    for lo, hi, label in SIZE_BUCKETS:
        if quantity >= lo and (hi is None or quantity <= hi):
            return label
    raise ValueError(f"quantity must be a positive number of shares, got {quantity!r}")


def _read(path: Path) -> pa.Table:
    if not path.exists():
        raise TcaInputError(f"{path}: missing (runs written before the market timeline have no TCA inputs)")
    try:
        return pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise TcaInputError(f"{path}: not a readable parquet file ({exc})") from None


def _meta(table: pa.Table, key: str, default: str = "") -> str:
    meta = table.schema.metadata or {}
    return meta.get(f"twin.{key}".encode(), default.encode()).decode()


def _need(table: pa.Table, path: Path, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise TcaInputError(f"{path}: missing column(s) {', '.join(missing)}")


def _by_symbol(table: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """``(symbol, its rows in file order)`` per symbol, symbols sorted (rows without one skipped), read as
    Arrow columns: a million-row NBBO is not turned into a pandas frame to be grouped. Where each symbol's
    rows are one block (as ``write_market_timeline`` writes them) the block is a slice of the table (no
    copy: the timelines read the table's own buffers); otherwise its rows are filtered out (a copy)."""
    column = table.column("symbol")
    symbols = sorted(str(s) for s in pc.unique(column).to_pylist() if s is not None)
    blocks = None if len(symbols) == 1 and not column.null_count else _blocks(column)
    for symbol in symbols:
        if blocks is not None:
            yield symbol, table.slice(*blocks[symbol])
        else:
            yield symbol, (table if len(symbols) == 1 and not column.null_count
                           else table.filter(pc.equal(column, symbol)))


def _blocks(column: pa.ChunkedArray) -> dict[str, tuple[int, int]] | None:
    """``symbol -> (first row, rows)`` when every symbol's rows are one contiguous block (no nulls); else None."""
    n = len(column)
    if n == 0 or column.null_count:
        return None
    changed = pc.not_equal(column.slice(1), column.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    starts = np.concatenate([np.zeros(1, np.int64), np.flatnonzero(changed) + 1])
    names = [str(s) for s in column.take(pa.array(starts)).to_pylist()]
    if len(set(names)) != len(names):  # a symbol in two blocks: interleaved rows
        return None
    ends = np.append(starts[1:], n).tolist()
    return {name: (start, end - start) for name, start, end in zip(names, starts.tolist(), ends)}


def _ints(table: pa.Table, column: str) -> np.ndarray:
    values = table.column(column)
    chunks = [c for c in values.chunks if len(c)]
    if len(chunks) <= 1 and not values.null_count:  # in place (a million-row NBBO is not copied)
        return (chunks[0].to_numpy(zero_copy_only=False).astype(np.int64, copy=False) if chunks
                else np.zeros(0, np.int64))
    return values.to_numpy().astype(np.int64, copy=False)


def load_market(run_dir: Path, tables: dict[str, pa.Table] | None = None
                ) -> tuple[dict[str, tca.NbboTimeline], dict[str, dict[str, np.ndarray]], dict[str, str]]:
    """The run's NBBO timelines per symbol (ending at the session close), its prints per symbol as
    int64 numpy columns (``t_ns``, ``price``, ``qty``: the table's own buffers where they can be, not a
    Python int per print), and the files' sources (``nbbo_source``, ``prints_source``). ``tables``: the two
    files' tables as just written (``twin.market_files.write_market_timeline`` returns them, by file
    name), read instead of the files."""
    run_dir = Path(run_dir)
    nbbo_path, prints_path = run_dir / NBBO_FILE, run_dir / PRINTS_FILE
    tables = tables or {}
    nbbo = tables[NBBO_FILE] if NBBO_FILE in tables else _read(nbbo_path)
    prints = tables[PRINTS_FILE] if PRINTS_FILE in tables else _read(prints_path)
    _need(nbbo, nbbo_path, ("symbol", "t_ns", "bid", "bid_size", "ask", "ask_size"))
    _need(prints, prints_path, ("symbol", "t_ns", "price", "qty"))
    close = _meta(nbbo, "session_close_ns")
    end_ns = int(close) if close else None
    timelines: dict[str, tca.NbboTimeline] = {}
    for symbol, rows in _by_symbol(nbbo):
        try:
            timelines[symbol] = tca.NbboTimeline(*(_ints(rows, c) for c in ("t_ns", "bid", "bid_size", "ask",
                                                                             "ask_size")), end_ns)
        except ValueError as exc:
            raise TcaInputError(f"{nbbo_path}: symbol {symbol}: {exc}") from None
    tape = {symbol: {k: _ints(rows, k) for k in ("t_ns", "price", "qty")}
            for symbol, rows in _by_symbol(prints)}
    sources = {"nbbo_source": _meta(nbbo, "nbbo_source"), "prints_source": _meta(prints, "prints_source")}
    if _meta(prints, "prints_include_own_fills") == "true":  # a run with `tape: {own_fills: true}`
        sources["prints_include_own_fills"] = "true"
    return timelines, tape, sources


_EVENT_FIELDS = ("event_type", "order_id", "timestamp_utc", "symbol", "side", "quantity", "order_type",
                 "limit_price", "time_in_force")
_ORDER_FIELDS = ("symbol", "side", "quantity", "order_type", "limit_price", "time_in_force")
"""Read from each order's first event only."""
_DETAILED = frozenset((E.ORDER_RECEIVED.value, E.ORDER_ROUTED.value, *FILL_TYPES))
"""The event types whose details ``order_inputs`` reads."""
_READ = _DETAILED | frozenset(DONE_TYPES)
"""The event types ``order_inputs`` reads at all (an order's other events only place it in the order)."""
_RECEIVED, _ROUTED = E.ORDER_RECEIVED.value, E.ORDER_ROUTED.value  # looked up once, not per event
_FILLS, _DONE = frozenset(FILL_TYPES), frozenset(DONE_TYPES)
_SLICE = 65_536
"""Events ``order_inputs`` turns into Python values at a time."""


def order_inputs(events: pd.DataFrame) -> tuple[list[tca.OrderInput], dict[str, dict[str, Any]]]:
    """One ``OrderInput`` per routed order of the event log, and per order its grouping facts
    (``venue``, ``venues``, ``routed_venues``, ``time_in_force``, ``final_event``)."""
    if events is None or events.empty:
        return [], {}
    events = events[list(_EVENT_FIELDS) + ["details"]]  # the fields it reads (KeyError naming any missing)
    placed = events["order_id"].astype(str) != ""
    # each order's first event: the order's own fields, and the orders in the order they first appear
    firsts = events.loc[placed, ["order_id", *_ORDER_FIELDS]].drop_duplicates("order_id")
    per_order: dict[str, dict[str, Any]] = {
        order_id: {"fills": [], "routed": [], "arrival": None, "decision": None, "done": None, "final": ""}
        for order_id in firsts["order_id"].tolist()}
    # Only the events read, a slice at a time turned into Python lists (itertuples reads Arrow-backed columns
    # a cell at a time; every event's JSON as Python strings at once held ~150 MiB on a 50,000-order day).
    read = events.loc[placed & events["event_type"].astype(str).isin(_READ),
                      ["order_id", "event_type", "timestamp_utc", "details"]]
    for start in range(0, len(read), _SLICE):
        part = read.iloc[start:start + _SLICE]
        for order_id, kind, t, raw in zip(*(part[c].tolist() for c in part.columns)):
            o = per_order.get(order_id)
            if o is None:  # an id no dict finds again (a float NaN): as before, an order TCA cannot place
                continue
            t = int(t)
            d = decode_json(raw, {}) if kind in _DETAILED else {}
            if kind == _RECEIVED:
                o["arrival"] = t
                o["decision"] = d.get("submitted_ns")
            elif kind == _ROUTED:
                o["routed"] += [str(c.get("venue")) for c in d.get("children") or []]
            elif kind in _FILLS:
                o["fills"].append(tca.Fill(t, int(d["last_qty"]), int(d["last_px"]), int(d.get("fee") or 0),
                                           str(d.get("venue") or ""), str(d.get("liquidity") or "")))
            if kind in _DONE and o["done"] is None:
                o["done"], o["final"] = t, kind
        del part
    del read
    fields = zip(*(firsts[c].tolist() for c in _ORDER_FIELDS))
    inputs, facts = [], {}
    for (order_id, o), (symbol, side, quantity, order_type, limit_price, time_in_force) in zip(per_order.items(),
                                                                                                  fields):
        if o["arrival"] is None or not o["routed"]:
            continue
        shares: dict[str, int] = {}
        for f in o["fills"]:
            shares[f.venue] = shares.get(f.venue, 0) + f.qty
        venue = max(sorted(shares), key=lambda v: shares[v]) if shares else o["routed"][0]
        limit = None if pd.isna(limit_price) else int(limit_price)
        decision = o["decision"]
        inputs.append(tca.OrderInput(
            order_id=order_id, symbol=str(symbol), side=str(side), quantity=int(quantity),
            arrival_ns=o["arrival"], fills=tuple(o["fills"]), order_type=str(order_type), limit_price=limit,
            decision_ns=None if decision is None else int(decision), done_ns=o["done"]))
        facts[order_id] = {"venue": venue, "venues": ",".join(sorted(shares)), "routed_venues":
                           ",".join(dict.fromkeys(o["routed"])), "time_in_force": str(time_in_force),
                           "final_event": o["final"]}
    return inputs, facts


def _print_tapes(prints: dict[str, dict[str, Any]], inputs: list[tca.OrderInput],
                 with_own_taker_fills: bool) -> dict[str, tca.PrintTape]:
    """Per symbol, its prints (int64 columns or lists) with our taker fills after them when asked, in time
    order (a stable sort: ties keep that order) as a ``PrintTape``."""
    own: dict[str, list[tuple[int, int, int]]] = {}
    if with_own_taker_fills:
        for order in inputs:
            rows = own.setdefault(order.symbol, [])  # every order's symbol has a tape then, fills or not
            for f in order.fills:
                if f.liquidity.upper() == "TAKER":  # a maker fill of ours is already the aggressor's print
                    rows.append((f.t_ns, f.price, f.qty))
    tapes = {}
    for symbol in dict.fromkeys([*prints, *own]):  # the prints' symbols first, then the fills' others
        rows = prints.get(symbol) or {}
        fills = np.array(own.get(symbol, ()), dtype=np.int64).reshape(-1, 3)
        columns = [np.concatenate([np.asarray(rows.get(k, ()), dtype=np.int64).reshape(-1), fills[:, j]])
                   for j, k in enumerate(("t_ns", "price", "qty"))]
        order = np.argsort(columns[0], kind="stable")
        tapes[symbol] = tca.PrintTape(*(c[order] for c in columns))
    return tapes


def tca_frame(events: pd.DataFrame, run_dir: Path, market: dict[str, pa.Table] | None = None) -> pd.DataFrame:
    """One row per routed order: ``components.tca.OrderTca.to_record()`` plus the grouping columns
    (``market``: the NBBO and prints tables, see ``load_market``)."""
    timelines, prints, sources = load_market(run_dir, market)
    pa.default_memory_pool().release_unused()  # the files' Arrow tables are garbage now: a 1M-quote NBBO is ~50 MiB
    inputs, facts = order_inputs(events)
    # Our own taker fills join the simulated tape unless the prints already hold them (else counted twice).
    tapes = _print_tapes(prints, inputs, not sources["prints_source"].startswith("recorded")
                         and sources.get("prints_include_own_fills") != "true")
    empty = tca.NbboTimeline([], [], [], [], [])
    by_symbol: dict[str, list[int]] = {}  # each symbol's orders measured in batches (tca.orders_tca)
    for k, order in enumerate(inputs):
        by_symbol.setdefault(order.symbol, []).append(k)
    rows = _Rows(len(inputs))  # in the log's order of orders, as before
    for symbol, ks in by_symbol.items():
        for start in range(0, len(ks), TCA_BATCH):  # a batch's OrderTca objects are dropped once recorded
            batch = ks[start:start + TCA_BATCH]
            for k, result in zip(batch, tca.orders_tca([inputs[k] for k in batch], timelines.get(symbol, empty),
                                                       tapes.get(symbol))):
                record = result.to_record()
                record.update(facts[inputs[k].order_id])
                record["size_bucket"] = size_bucket(inputs[k].quantity)
                rows.put(k, record)
    frame = rows.frame()
    del rows
    frame.attrs.update(sources)
    return frame


class _Rows:
    """The per-order records of ``tca_frame``, kept as tuples of their values while every record has the same
    keys in the same order (a ~65-key dict per order held ~23 MiB on a 5,000-order day; a tuple is a tenth of
    that). ``frame()`` is ``pd.DataFrame`` of the records: a list of tuples with the keys as columns goes
    through the same object-array conversion as a list of dicts, so the frame is the same."""

    def __init__(self, n: int):
        self.rows: list[Any] = [None] * n
        self.keys: tuple[str, ...] | None = None
        self.uniform = True

    def put(self, k: int, record: dict[str, Any]) -> None:
        """Record ``record`` as row ``k``."""
        if self.uniform:
            keys = tuple(record)
            if self.keys is None:
                self.keys = keys
            if keys == self.keys:
                self.rows[k] = tuple(record.values())
                return
            self.uniform = False  # keys differ: back to dicts, as pd.DataFrame(list of dicts) aligns them
            self.rows = [None if r is None else dict(zip(self.keys, r)) for r in self.rows]
        self.rows[k] = record

    def frame(self) -> pd.DataFrame:
        """The records as a frame (``pd.DataFrame(list of dicts)``'s), except that a time column (``*_ns``)
        holding a None keeps its exact ints: pandas would make it float64, which rounds a nanosecond
        timestamp (about 1.8e18) to a multiple of 256 ns before ``_to_table`` writes it as int64."""
        if self.uniform and self.keys is not None:
            frame = pd.DataFrame(self.rows, columns=list(self.keys))
            value_of = {key: i for i, key in enumerate(self.keys)}
            column = lambda key: [None if r is None else r[value_of[key]] for r in self.rows]  # noqa: E731
        else:
            frame = pd.DataFrame(self.rows)
            column = lambda key: [None if r is None else r.get(key) for r in self.rows]  # noqa: E731
        for key in frame.columns:
            if str(key).endswith("_ns") and frame[key].dtype == np.float64:
                frame[key] = pd.Series(column(key), index=frame.index, dtype=object)
        return frame


def _to_table(frame: pd.DataFrame, meta: dict[str, str]) -> pa.Table:
    arrays, fields = [], []
    for column in frame.columns:
        values = frame[column].tolist()
        sample = next((v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))), None)
        if isinstance(sample, Decimal):
            arr = pa.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else v.quantize(_QUANT)
                            for v in values], MONEY)
        elif column.endswith("_ns") or column in ("quantity", "filled_qty", "fees", "size_improvement",
                                                  "limit_price", "arrival_bid", "arrival_ask",
                                                  "arrival_bid_size", "arrival_ask_size"):
            arr = pa.array([None if v is None or (isinstance(v, float) and np.isnan(v)) else int(v) for v in values],
                           pa.int64())
        else:
            arr = pa.array(values, from_pandas=True)
        arrays.append(arr)
        fields.append(pa.field(column, arr.type))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return table.replace_schema_metadata({f"twin.{k}".encode(): str(v).encode() for k, v in meta.items()})


UNITS_META = {
    "price_scale": str(PRICE_SCALE),
    "money": f"Decimal units, {PRICE_SCALE} per US dollar, stored as decimal128(38, 6): avg_price, mids, "
             "slippage, spreads, price improvement per share; is_* and price_improvement_total per order",
    "ratios": "floats: *_bps in basis points of the column's benchmark (docs/tca.md), fill_rate and eq_ratio "
              "as fractions",
    "signs": "cost-like metrics are side * (paid - benchmark): positive is a cost; price improvement: positive "
             "is better than the quote",
    "time_columns": "every time column ends in _ns: integer nanoseconds since 1970-01-01 UTC (durations: ns)",
}


def summarize(orders: pd.DataFrame, dimensions: Iterable[str] = DIMENSIONS) -> pd.DataFrame:
    """Aggregates per value of each dimension: counts, share-weighted fill rate, the mean (and share-weighted
    mean, ``*_sw``) of each bps metric over the orders that have it, and median times to fill."""
    if orders is None or orders.empty:
        return pd.DataFrame(columns=["dimension", "group", "orders"])
    bps = [c for c in orders.columns if c.endswith("_bps")]
    out = []
    for dim in dimensions:
        for group, rows in orders.groupby(dim, sort=True):
            filled = rows["filled_qty"].astype("int64")
            rec: dict[str, Any] = {
                "dimension": dim, "group": str(group), "orders": int(len(rows)),
                "filled_orders": int((filled > 0).sum()), "shares": int(rows["quantity"].sum()),
                "filled_shares": int(filled.sum()),
                "fill_rate": float(filled.sum() / rows["quantity"].sum()) if rows["quantity"].sum() else 0.0,
            }
            for c in bps:
                values = pd.to_numeric(rows[c], errors="coerce")
                ok = values.notna()
                rec[f"{c}_mean"] = float(values[ok].mean()) if ok.any() else None
                weights = filled[ok] if not c.startswith("is_") else rows["quantity"][ok]
                rec[f"{c}_sw"] = float(np.average(values[ok], weights=weights)) if ok.any() and weights.sum() else None
            for c in ("time_to_first_fill_ns", "time_to_complete_ns"):
                values = pd.to_numeric(rows[c], errors="coerce").dropna()
                rec[f"{c}_median"] = int(values.median()) if len(values) else None
            out.append(rec)
    return pd.DataFrame(out)


def write_tca(run_dir: Path, events: pd.DataFrame | None = None,
              market: dict[str, pa.Table] | None = None) -> dict[str, Any]:
    """Write ``tca_orders.parquet`` and ``tca_summary.parquet`` into ``run_dir``; return the report's
    section (JSON-able: counts, sources, and the by-venue rows). ``events`` defaults to the folder's;
    ``market``, the NBBO and prints tables just written (else the folder's files are read)."""
    run_dir = Path(run_dir)
    if events is None:
        events = _read(run_dir / "events.parquet").to_pandas()
    orders = tca_frame(events, run_dir, market)
    meta = {**UNITS_META, **orders.attrs}
    pq.write_table(_to_table(orders, meta), run_dir / ORDERS_FILE)
    summary = summarize(orders)
    pq.write_table(_to_table(summary, meta), run_dir / SUMMARY_FILE)
    pa.default_memory_pool().release_unused()  # the tables' and the parquet writer's pages go back to the system
    keep = ["group", "orders", "filled_shares", "fill_rate", "arrival_slippage_bps_mean", "effective_spread_bps_mean",
            "price_improvement_bps_mean", "realized_spread_1min_bps_mean", "is_total_bps_mean",
            "vwap_slippage_bps_mean", "time_to_first_fill_ns_median"]

    def rows_of(dimension: str) -> list[dict[str, Any]]:
        chosen = summary[summary["dimension"] == dimension] if not summary.empty else summary
        return [{k: (None if pd.isna(r.get(k)) else r.get(k)) for k in keep if k in r}
                for r in chosen.to_dict("records")]

    return {"orders": int(len(orders)), **orders.attrs, "by_venue": rows_of("venue"),
            "by_order_class": rows_of("order_class")}


PLOT_COLUMNS = ("venue", "effective_spread_bps", "price_improvement_bps")
"""The columns of ``tca_orders.parquet`` that ``plot_tca_by_venue`` reads."""


def read_tca_orders(run_dir: Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """``tca_orders.parquet`` of a run folder (written by ``write_tca``); only ``columns`` when given (the
    report's figure needs three: the exact money columns become a Python Decimal per cell when read)."""
    path = Path(run_dir) / ORDERS_FILE
    if columns is None:
        return _read(path).to_pandas()
    table = _read(path)
    return table.select([c for c in columns if c in table.column_names]).to_pandas()  # none: a run without orders


def plot_tca_by_venue(orders: pd.DataFrame | None):
    """Box plots per venue of each filled order's effective spread and arrival slippage (bps); a
    "none" note when no order filled. Returns a matplotlib Figure (the report embeds it)."""
    from .plots import new_figure  # matplotlib is loaded only when a report is drawn

    fig = new_figure(10.0, 4.0)
    axes = fig.subplots(1, 2)
    panels = (("effective_spread_bps", "Effective spread by venue (bps, + = cost)"),
              ("price_improvement_bps", "Price improvement vs NBBO by venue (bps, + = better)"))
    for ax, (column, title) in zip(axes, panels):
        ax.set_title(title, fontsize=10)
        data = [] if orders is None or orders.empty else [
            (str(venue), pd.to_numeric(rows[column], errors="coerce").dropna().to_numpy())
            for venue, rows in orders.groupby("venue", sort=True)]
        data = [(v, x) for v, x in data if len(x)]
        if not data:
            ax.text(0.5, 0.5, "none", ha="center", va="center", fontsize=14, color="#777777", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        ax.boxplot([x for _, x in data], showmeans=True)
        ax.set_xticks(range(1, len(data) + 1), [f"{v}\n(n={len(x)})" for v, x in data])
        ax.axhline(0, color="black", linewidth=0.8)
    fig.tight_layout()
    return fig

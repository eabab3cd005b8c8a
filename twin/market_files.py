"""The market recording's files in the run folder: ``market_nbbo.parquet`` and ``market_prints.parquet``
(``write_market_timeline``: the NBBO and prints behind TCA) and ``market_samples.parquet``
(``write_market_samples``: every venue's sampled top and their national best).

Apart from ``twin.market_recorder``, which records during the simulation: the recording needs no Arrow, so
a run imports pyarrow (and pandas, through ``twin.recorder``'s units) only when it writes its outputs
(about 100 MiB of resident memory and a third of a second that a run's simulation no longer carries).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from venues_sim.replay_columns import release_unused_memory

from .market_recorder import NATIONAL, SAMPLE_COLUMNS, MarketRecorder, MarketTimeline, int64_values
from .recorder import UNITS


def _column(parts: list[Any], kind: pa.DataType) -> pa.ChunkedArray:
    """One output column of per-symbol parts, one chunk each: int64 numpy parts are wrapped in place (the
    timeline's own ``array('q')`` buffers stay the only copy), not concatenated; a parquet file written
    from it holds the same rows (row groups follow the row count, not the chunks)."""
    return pa.chunked_array([pa.array(part, kind) for part in parts], kind)


def _labels(names: list[str], counts: list[int]) -> pa.Array:
    """A string column repeating ``names[i]`` ``counts[i]`` times, built from codes (a ``DictionaryArray``
    cast to strings), without a Python string per row."""
    unique = list(dict.fromkeys(names))
    codes = np.array([unique.index(n) for n in names], dtype=np.int32)
    return pa.DictionaryArray.from_arrays(np.repeat(codes, counts), pa.array(unique, pa.string())).cast(pa.string())


def write_columns(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` as parquet: integer columns ``DELTA_BINARY_PACKED``, the others (symbols,
    venues, sale conditions) dictionary-encoded.

    Why not Arrow's default (a dictionary tried on every column): on the market files' hundreds of thousands
    of mostly distinct integers it builds a dictionary per column and drops it, the run's largest transient
    (trading_day's NBBO: +48 MiB, its high-water mark); deltas suit times in order and prices that move by
    ticks, and the file is smaller (5.4 -> 3.4 MiB) and written faster. A standard Parquet encoding: pyarrow,
    pandas, DuckDB, polars and Spark read it (docs/run_performance.md)."""
    ints = [f.name for f in table.schema if pa.types.is_integer(f.type)]
    pq.write_table(table, path, use_dictionary=[n for n in table.column_names if n not in ints],
                   column_encoding={n: "DELTA_BINARY_PACKED" for n in ints})


NBBO_FILE = "market_nbbo.parquet"
PRINTS_FILE = "market_prints.parquet"
SALE_CONDITIONS = ("sale_condition: the consolidated tapes' code (CTA/UTP): '@' a regular trade, '5' a venue's "
                   "reopening auction after a halt or a LULD pause (one print: the cross's volume at its price; "
                   "last-sale and volume eligible, so VWAP counts it)")


def write_market_timeline(timeline: MarketTimeline, recorder: MarketRecorder | None,
                          out_dir: Path) -> dict[str, pa.Table]:
    """Write ``market_nbbo.parquet`` (symbol, t_ns, bid, bid_size, ask, ask_size: one row per change)
    and ``market_prints.parquet`` (symbol, t_ns, price, qty) with units and sources in the schema
    metadata (``twin.*`` keys, the run's ``UNITS`` among them). Returns the tables written, by file name
    (``reports.tca.write_tca(..., market=)`` reads them instead of the files: a million-row NBBO is not
    read back; one symbol's columns are the timeline's own buffers)."""
    if timeline.released:  # an empty NBBO would be written without a word
        raise ValueError("the market timeline was released after this run's outputs were written "
                         "(MarketTimeline.release): its NBBO can no longer be written")
    prints = timeline.print_columns(recorder)
    if timeline._tapes:
        prints_source = "simulated: the liquidity providers' and noise traders' trades (as aggressors)"
    elif recorder is not None and recorder.source == "recorded":
        prints_source = "recorded: the replayed day's prints"
    elif recorder is not None and recorder.tapes:
        prints_source = "simulated: the agents' tape"
    else:
        prints_source = "none"
    own = timeline.own is not None
    if own:
        prints_source = ("simulated: the broker-dealer's own taker fills" if prints_source == "none"
                         else prints_source + "; with the broker-dealer's own taker fills")
    if timeline.reopening_prints():
        prints_source = ("simulated: the reopening auctions' prints" if prints_source == "none"
                         else prints_source + "; with the reopening auctions' prints")
    common = {**{f"twin.{k}": v for k, v in UNITS.items()},
              "twin.session_open_ns": str(timeline.open_ns), "twin.session_close_ns": str(timeline.close_ns),
              "twin.time_columns": "every time column ends in _ns: integer nanoseconds since 1970-01-01 UTC"}
    tables = {
        NBBO_FILE: (timeline.nbbo, ("t_ns", "bid", "bid_size", "ask", "ask_size"), {
            "twin.nbbo_source": timeline.nbbo_source,
            "twin.nbbo_poll_interval_ns": str(timeline.interval_ns) if timeline.nbbo_source == "venue-tops" else "",
            "twin.nbbo_rows": "one row per change of the consolidated top, in force from t_ns to the next row; "
                              "prices in units, sizes in shares, 0 for an empty side"}),
        PRINTS_FILE: (prints, ("t_ns", "price", "qty"), {
            "twin.prints_source": prints_source,
            "twin.prints_include_own_fills": "true" if own else "false",
            "twin.prints_rows": "market prints in time order: price in units, qty in shares; "
                                "the broker-dealer's own taker fills are "
                                + ("included" if own else "not included"),
            "twin.sale_conditions": SALE_CONDITIONS}),
    }
    written: dict[str, pa.Table] = {}
    for name, (data, columns, meta) in tables.items():
        counts = [len(data[s]["t_ns"]) for s in timeline.symbols]
        arrays = {"symbol": _labels(timeline.symbols, counts)}
        for column in columns:  # array('q') columns are read in place, a chunk per symbol: no copy at all
            parts = [int64_values(data[s][column]) for s in timeline.symbols]
            arrays[column] = _column(parts or [np.zeros(0, np.int64)], pa.int64())
        if name == PRINTS_FILE:  # the sale condition tells a reopening auction's print from a regular trade
            arrays["sale_condition"] = _column([data[s]["sale_condition"] for s in timeline.symbols]
                                               or [np.zeros(0, object)], pa.string())
        table = pa.table(arrays)
        metadata = {k.encode(): v.encode() for k, v in {**common, **meta}.items()}
        written[name] = table.replace_schema_metadata(metadata)
        write_columns(written[name], out_dir / name)
    release_unused_memory()  # the parquet writer's pages (~20 MiB on trading_day) go back, not kept to the end
    return written


SAMPLES_FILE = "market_samples.parquet"


def write_market_samples(recorder: MarketRecorder, out_dir: Path) -> Path | None:
    """Write ``market_samples.parquet``: the recorder's every-venue view, one row per symbol, venue and
    sample (``venue``: the venue's published top; ``NBBO``: their national best), columns symbol, venue,
    t_ns, bid, bid_size, ask, ask_size. None (nothing written) when the recorder sampled no venues."""
    if not recorder.venue_samples:
        return None
    views = {**recorder.venue_samples, NATIONAL: recorder.national_samples()}
    keys = [(view, symbol) for view in views for symbol in recorder.samples]
    counts = [len(views[v][s]["t_ns"]) for v, s in keys]
    arrays: dict[str, Any] = {"symbol": _labels([s for _, s in keys], counts), "venue": _labels([v for v, _ in keys], counts)}
    for column in SAMPLE_COLUMNS:  # the samples' buffers in place, a chunk per (view, symbol): no concatenated copy
        parts = [int64_values(views[v][s][column]) for v, s in keys]
        arrays[column] = _column(parts or [np.zeros(0, np.int64)], pa.int64())
    meta = {**{f"twin.{k}": v for k, v in UNITS.items()},
            "twin.primary_venue": recorder.venue.name,
            "twin.sample_interval_ns": str(recorder.interval_ns),
            "twin.samples_rows": f"every venue's published top of book (zeros while DOWN) at each sample, and "
                                 f"their national best as venue {NATIONAL}; prices in units, sizes in shares"}
    path = out_dir / SAMPLES_FILE
    table = pa.table(arrays)
    write_columns(table.replace_schema_metadata({k.encode(): v.encode() for k, v in meta.items()}), path)
    release_unused_memory()  # as write_market_timeline
    return path

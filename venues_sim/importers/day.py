"""Writing an imported day in the project's parquet format, and summarising a day folder.

A day folder holds ``quotes.parquet`` and ``trades.parquet`` in the replay
format (``docs/replay_format.md``: prices int64 units of $0.0001, times int64
ns since the epoch UTC) plus ``import.json``: the source, the cleaning policy
and its counts, whether per-venue quotes were in the source, and the summary.
The parquet files also carry the units in their schema metadata.
Everything here is column-at-a-time (pyarrow/numpy): no Python object per row.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..replay_format import QUOTE_COLUMNS, TRADE_COLUMNS, ReplayFormatError
from .common import NEW_YORK
from .tables import Columns, Imported

QUOTES_FILE, TRADES_FILE, META_FILE = "quotes.parquet", "trades.parquet", "import.json"
_UNITS_METADATA = {
    b"price_unit": b"1/10000 USD (int64; 190.01 USD = 1900100)",
    b"timestamp_ns": b"ns since the Unix epoch, UTC",
    b"format": b"docs/replay_format.md",
}


def _table(columns: Columns, names: tuple[str, ...]) -> pa.Table:
    order = np.argsort(columns.time, kind="stable")
    arrays = {
        "timestamp_ns": pa.array(columns.time[order], pa.int64()),
        "venue": pc.take(pa.array(columns.venues, pa.string()), pa.array(columns.venue[order])),
        "symbol": pc.take(pa.array(columns.symbols, pa.string()), pa.array(columns.symbol[order])),
    }
    for name, values in columns.values.items():
        arrays[name] = pa.array(values[order], pa.int64())
    return pa.table({n: arrays[n] for n in names}).replace_schema_metadata(_UNITS_METADATA)


def write_day(out: str | Path, imported: Imported, policy: dict, counts: dict) -> dict:
    """Write the day folder; returns the ``import.json`` content (with the summary)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(_table(imported.quotes, QUOTE_COLUMNS), out / QUOTES_FILE)
    pq.write_table(_table(imported.trades, TRADE_COLUMNS), out / TRADES_FILE)
    meta = {"source": imported.source, "policy": policy, "cleaned": counts}
    meta["summary"] = summarize(out)
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def read_meta(day: str | Path) -> dict | None:
    """The day's ``import.json``, or None for a day not written by an importer."""
    path = Path(day) / META_FILE
    return json.loads(path.read_text()) if path.is_file() else None


def summarize(day: str | Path, top_gaps: int = 3) -> dict:
    """Rows, venues, symbols, time span, crossed/locked share per venue, largest quoting gaps per symbol.

    Column at a time: venue and symbol are read dictionary-encoded and counted with ``np.bincount``.
    """
    day = Path(day)
    quotes = _read(day / QUOTES_FILE, QUOTE_COLUMNS, ["timestamp_ns", "venue", "symbol", "bid", "ask"])
    trades = _read(day / TRADES_FILE, TRADE_COLUMNS, ["timestamp_ns", "venue", "symbol"])
    q_time = quotes.column("timestamp_ns").to_numpy()
    t_time = trades.column("timestamp_ns").to_numpy()
    first = min([int(t.min()) for t in (q_time, t_time) if t.size], default=None)
    last = max([int(t.max()) for t in (q_time, t_time) if t.size], default=None)
    venue, venues = _codes(quotes.column("venue"))
    symbol, symbols = _codes(quotes.column("symbol"))
    summary: dict = {
        "quotes": quotes.num_rows,
        "trades": trades.num_rows,
        "venues": sorted(set(venues) | set(_codes(trades.column("venue"))[1])),
        "symbols": sorted(set(symbols) | set(_codes(trades.column("symbol"))[1])),
        "first": None if first is None else _iso(first),
        "last": None if last is None else _iso(last),
    }
    bid = quotes.column("bid").to_numpy()
    ask = quotes.column("ask").to_numpy()
    both = (bid > 0) & (ask > 0)
    crossed, locked = both & (bid > ask), both & (bid == ask)
    del bid, ask
    summary["crossed_share"] = _share(crossed)
    summary["locked_share"] = _share(locked)
    summary["one_sided_share"] = _share(~both)
    n = len(venues)
    rows = np.bincount(venue, minlength=n)
    per = {name: np.bincount(venue, weights=mask, minlength=n)
           for name, mask in (("crossed_share", crossed), ("locked_share", locked), ("one_sided_share", ~both))}
    summary["per_venue"] = {
        v: {"quotes": int(rows[i]), **{k: round(float(per[k][i] / rows[i]), 6) for k in per}}
        for i, v in sorted(enumerate(venues), key=lambda item: item[1]) if rows[i]}
    summary["gaps"] = _gaps(q_time, symbol, symbols, top_gaps)
    return summary


def _read(path: Path, columns: tuple[str, ...], wanted: list[str]) -> pa.Table:
    try:
        schema = pq.read_schema(path)
        if sorted(schema.names) != sorted(columns):
            raise ReplayFormatError(path, 1, None, f"columns must be {', '.join(columns)}")
        return pq.read_table(path, columns=wanted, read_dictionary=["venue", "symbol"])
    except (OSError, pa.ArrowInvalid) as exc:
        raise ReplayFormatError(path, None, None, f"not a readable day file: {exc}") from None


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """A dictionary-read string column as (codes, names), chunks unified."""
    if column.num_chunks == 0 or len(column) == 0:
        return np.zeros(0, dtype=np.int64), []
    array = column.unify_dictionaries().combine_chunks() if column.num_chunks > 1 else column.chunk(0)
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    return array.indices.to_numpy(zero_copy_only=False).astype(np.int64), array.dictionary.to_pylist()


def _share(mask: np.ndarray) -> float:
    return round(float(mask.mean()), 6) if mask.size else 0.0


def _gaps(time: np.ndarray, symbol: np.ndarray, names: list[str], top: int) -> dict[str, list[dict]]:
    """Per symbol, the ``top`` longest stretches with no quote update from any venue."""
    result: dict[str, list[dict]] = {}
    for code, name in sorted(enumerate(names), key=lambda item: item[1]):
        t = np.sort(time[symbol == code])
        if t.size < 2:
            result[name] = []
            continue
        gaps = np.diff(t)
        longest = np.argsort(-gaps, kind="stable")[:top]
        result[name] = [{"from": _iso(int(t[i])), "seconds": round(int(gaps[i]) / 1e9, 3)} for i in longest]
    return result


def _iso(ns: int) -> str:
    """A time as New York local ISO text (the trading day's clock), to the microsecond."""
    return datetime.fromtimestamp(ns // 1000 / 1e6, timezone.utc).astimezone(NEW_YORK).isoformat()


def format_summary(summary: dict, meta: dict | None) -> str:
    """The day summary as the lines ``twin market summary`` prints."""
    lines = [
        f"quotes {summary['quotes']}  trades {summary['trades']}",
        f"venues {len(summary['venues'])}: {', '.join(summary['venues'])}",
        f"symbols {len(summary['symbols'])}: {', '.join(summary['symbols'])}",
        f"time span {summary['first']} .. {summary['last']}",
        f"crossed {summary['crossed_share']:.2%}  locked {summary['locked_share']:.2%}  "
        f"one-sided or unknown {summary['one_sided_share']:.2%} of quote rows",
    ]
    for symbol, gaps in summary["gaps"].items():
        text = ", ".join(f"{g['seconds']}s from {g['from']}" for g in gaps) or "-"
        lines.append(f"largest quoting gaps {symbol}: {text}")
    if meta is not None:
        source = meta["source"]
        lines.append(f"source: {source['format']} ({', '.join(source['files'])})")
        for note in source.get("notes", []):
            lines.append(f"note: {note}")
        policy = meta["policy"]
        lines.append("policy: " + ", ".join(f"{k} {'off' if v is None else v}" for k, v in policy.items()))
        lines.append("cleaned: " + ", ".join(f"{k} {v}" for k, v in meta["cleaned"].items()))
    return "\n".join(lines)

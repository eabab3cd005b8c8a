"""A recorded day as columns: what the replay venue reads, without a Python object per row.

``load_recorded`` reads the same two files as ``replay_format.load_day`` (same
format, same one-line ``ReplayFormatError`` naming file, row and column), but
a parquet file stays an Arrow table: columns are checked with vectorised
tests, the first offending row (if any) is handed to the row-level check of
``replay_format`` so its message is the same word for word, and the table is
sorted stably by time only when it is not sorted already. A CSV file goes
through ``load_day`` (CSV is for small, hand-made days).

Why: a million-quote day read as one dict and one dataclass per row cost
seconds and hundreds of MiB before the first event (issue 12's benchmark:
3.5 s to read, 1.8 s to sort and build, 940 MiB peak); the replay venue only
needs its own rows, in time order, a chunk at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .replay_format import (
    QUOTE_COLUMNS,
    TRADE_COLUMNS,
    RecordedDay,
    ReplayFormatError,
    _check_columns,
    _quote_problem,
    _trade_problem,
    load_day,
)

_TEXT = ("venue", "symbol")


@dataclass(frozen=True)
class RecordedTables:
    """Both tables of a recorded day as Arrow tables, each sorted stably by ``timestamp_ns``."""

    quotes: pa.Table
    trades: pa.Table

    @classmethod
    def from_day(cls, day: RecordedDay) -> RecordedTables:
        """The columns of an in-memory ``RecordedDay`` (tests, synthetic days, CSV files)."""
        return cls(_table(day.quotes, QUOTE_COLUMNS), _table(day.trades, TRADE_COLUMNS))

    def quote_venues(self) -> set[str]:
        """Venues with at least one quote."""
        return set(pc.unique(self.quotes.column("venue")).to_pylist())

    def quote_span_ns(self) -> tuple[int, int] | None:
        """``(first, last)`` quote timestamps, or None without quotes."""
        if not self.quotes.num_rows:
            return None
        ts = self.quotes.column("timestamp_ns")
        return ts[0].as_py(), ts[-1].as_py()

    def rows_of(self, table: str, venue: str, symbols: list[str]) -> dict[str, np.ndarray]:
        """The ``quotes`` or ``trades`` rows of ``venue`` in ``symbols``, in time order, as int64 numpy
        columns; ``symbol`` becomes an index into ``symbols``."""
        data = self.quotes if table == "quotes" else self.trades
        keep = pc.and_(pc.equal(data.column("venue"), venue),
                       pc.is_in(data.column("symbol"), value_set=pa.array(symbols, type=pa.string())))
        rows = data if pc.all(keep).as_py() is not False else data.filter(keep)  # one venue's day: no copy
        out = {c: rows.column(c).to_numpy().astype(np.int64, copy=False)
               for c in rows.column_names if c not in _TEXT}
        out["symbol"] = pc.index_in(rows.column("symbol"), value_set=pa.array(symbols, type=pa.string())) \
            .to_numpy(zero_copy_only=False).astype(np.int64)
        return out


def release_unused_memory() -> None:
    """Hand Arrow's free pool pages back to the system (after a large day's tables or columns are dropped;
    otherwise they stay in the process's footprint to the end of the run)."""
    pa.default_memory_pool().release_unused()


def _table(rows: tuple, columns: tuple[str, ...]) -> pa.Table:
    return pa.table({c: pa.array([getattr(r, c) for r in rows], type=pa.string() if c in _TEXT else pa.int64())
                     for c in columns})


def load_recorded(quotes_path: str | Path, trades_path: str | Path) -> RecordedTables:
    """Read a recorded day (``.csv`` or ``.parquet`` each) as columns; ``ReplayFormatError`` on a bad file."""
    quotes_path, trades_path = Path(quotes_path), Path(trades_path)
    if quotes_path.suffix != ".parquet" or trades_path.suffix != ".parquet":
        return RecordedTables.from_day(load_day(quotes_path, trades_path))
    return RecordedTables(_read(quotes_path, QUOTE_COLUMNS, _quote_problem, _quote_bad),
                          _read(trades_path, TRADE_COLUMNS, _trade_problem, _trade_bad))


def _read(path: Path, columns: tuple[str, ...], problem_of, bad_rows) -> pa.Table:
    try:
        # Text columns are read as dictionaries and turned into strings once, after the checks: a day
        # repeats a few venues and symbols a million times, and decoding each parquet string on its own
        # was half the read (bench_replay 1,000,000 quotes: 0.19 -> 0.09 s CPU for the read).
        text = [f.name for f in pq.read_schema(path) if f.name in _TEXT
                and (pa.types.is_string(f.type) or pa.types.is_large_string(f.type))]
        table = pq.read_table(path, read_dictionary=text or None)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReplayFormatError(path, None, None, f"not a readable parquet file: {exc}") from None
    _check_columns(path, table.column_names, columns)
    for c in columns:
        kind = table.schema.field(c).type
        if c not in _TEXT and not pa.types.is_integer(kind):
            raise ReplayFormatError(path, None, c, f"must be an integer type, got {kind}")
        nulls = table.column(c).null_count
        if nulls:
            first = int(np.argmax(table.column(c).is_null().to_numpy(zero_copy_only=False))) + 1
            raise ReplayFormatError(path, first, c, f"is missing ({nulls} empty values in the column)")
    table = table.select(list(columns)).combine_chunks()
    cast = {c: table.column(c).cast(pa.string() if c in _TEXT else pa.int64()) for c in columns}
    table = pa.table(cast)
    values = {c: table.column(c).to_numpy() for c in columns if c not in _TEXT}
    bad = bad_rows(values)
    if bad.any():
        index = int(np.argmax(bad))
        row = {c: table.column(c)[index].as_py() for c in columns}
        raise ReplayFormatError(path, index + 1, *problem_of(row))  # the row check's own words
    ts = values["timestamp_ns"]
    if len(ts) > 1 and not bool(np.all(ts[1:] >= ts[:-1])):
        table = table.take(pa.array(np.argsort(ts, kind="stable")))
    return table


def _quote_bad(v: dict[str, np.ndarray]) -> np.ndarray:
    """Rows ``replay_format._quote_problem`` refuses (negative, or a price without size or the reverse)."""
    bad = np.zeros(len(v["timestamp_ns"]), dtype=bool)
    for side in ("bid", "ask"):
        price, size = v[side], v[f"{side}_size"]
        bad |= (price < 0) | (size < 0) | ((price == 0) != (size == 0))
    return bad


def _trade_bad(v: dict[str, np.ndarray]) -> np.ndarray:
    """Rows ``replay_format._trade_problem`` refuses (price or size not positive)."""
    return (v["price"] <= 0) | (v["size"] <= 0)

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

``VenueQuotes`` and ``BulkQuoteListener``: one venue's day as published quotes,
and the protocol of a quote listener that takes runs of them at once
(``ReplayVenue._in_bulk``; docs/replay_bulk_quotes.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import sys
from typing import TYPE_CHECKING, Any, Callable, Protocol

import numpy as np

from components.domain.venues import Quote

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

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported by the functions that read or build tables, not here: every simulated run imports
# this module (through ``venues_sim.replay``), and only a replayed day needs Arrow (about 50 MiB resident).

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
        import pyarrow.compute as pc

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
        import pyarrow as pa
        import pyarrow.compute as pc

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
    otherwise they stay in the process's footprint to the end of the run). Without pyarrow imported there
    is no such pool: nothing to do, and nothing imported for it."""
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()


def _table(rows: tuple, columns: tuple[str, ...]) -> pa.Table:
    import pyarrow as pa

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
    import pyarrow as pa
    import pyarrow.parquet as pq

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


# ---------------------------------------------------------------------------------------------------
# Quotes in bulk: what a replay venue hands a listener that can take a run of quotes at once.


class BulkQuoteListener(Protocol):
    """A ``ReplayVenue.listen`` callback that can also take runs of quotes at once (optional protocol).

    A listener is a callable ``listener(quote)``, called with each recorded quote as published. One that
    also has ``bulk_stop`` and ``on_quotes`` lets the venue skip building a ``Quote`` per recorded quote
    while none of our orders rests there and it is UP: the venue then moves over a run of quotes
    ``[start, stop)`` (event indices into ``VenueQuotes``; every event of a run is a quote, none of ours
    rests, the venue stays UP) in one step and calls ``on_quotes`` instead of the callable, once per run.
    The venue falls back to one ``Quote`` per recorded quote whenever any of its listeners lacks the two.
    """

    def __call__(self, quote: Quote) -> None:
        """One quote as published (the per-quote form, always available)."""

    def bulk_stop(self, quotes: VenueQuotes, start: int, stop: int) -> int:
        """The end (``start`` to ``stop``) of the part of ``[start, stop)`` this listener can take through
        ``on_quotes``: the quotes before the first it must see as a ``Quote`` (a strategy's next order, say).
        ``start``: the next quote is called one at a time. Must not change the listener's state."""

    def on_quotes(self, quotes: VenueQuotes, start: int, stop: int) -> None:
        """Take the quotes ``[start, stop)`` at once, with the same effect as being called with each of them
        in order; must not call back into the venue (the venue's top already shows the run's last quote)."""


def takes_quotes_in_bulk(listener: object) -> bool:
    """Whether a quote listener has the bulk form (``BulkQuoteListener``: ``bulk_stop`` and ``on_quotes``)."""
    return hasattr(listener, "bulk_stop") and hasattr(listener, "on_quotes")


@dataclass(frozen=True, eq=False)
class VenueQuotes:
    """One replay venue's recorded events, by event index in replay order, as published quotes: ``time``,
    ``symbol`` (an index into ``symbols``) and the published top ``bid``, ``bid_size``, ``ask``,
    ``ask_size`` (a side without size shows price 0, as a ``Quote``). Rows of recorded trades share the
    index space (``quote_positions`` skips them) but never fall inside a run handed to a listener.
    Listeners keep what they derive from the day in ``cache`` (``memo``), not in themselves: it is dropped
    with this object when the venue has applied its whole day."""

    venue: str
    symbols: tuple[str, ...]
    time: np.ndarray
    symbol: np.ndarray
    bid: np.ndarray
    bid_size: np.ndarray
    ask: np.ndarray
    ask_size: np.ndarray
    trades: bool
    """Whether any row is a recorded trade (``quote_positions`` then skips them)."""
    kind: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int8))
    """Per row: 0 a recorded trade, 1 a recorded quote (read only when ``trades``)."""
    cache: dict = field(default_factory=dict, repr=False)
    """What listeners derived from the day, by a key of their own (``memo``; read directly once made)."""

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` the first time ``key`` is asked for, the same value after."""
        try:
            return self.cache[key]
        except KeyError:
            value = self.cache[key] = compute()
            return value

    def quote_positions(self, symbol: int) -> np.ndarray | None:
        """Event indices of ``symbol``'s quotes, in order; None when that is every event (a day of one
        symbol's quotes only: no index array is built for it)."""
        if not self.trades and len(self.symbols) == 1:
            return None
        return self.memo(("positions", symbol), lambda: np.flatnonzero(
            (self.symbol == symbol) & (self.kind != 0) if self.trades else self.symbol == symbol))

    def symbols_in(self, start: int, stop: int) -> list[tuple[int, int, int, int]]:
        """For each symbol quoted in the run ``[start, stop)`` (all quotes): ``(symbol, first event, last
        event, quotes)``."""
        if len(self.symbols) == 1:  # every event of a run is a quote of the one symbol
            return [(0, start, stop - 1, stop - start)]
        found = []
        for s in range(len(self.symbols)):
            positions = self.quote_positions(s)
            lo, hi = int(positions.searchsorted(start)), int(positions.searchsorted(stop))
            if hi > lo:
                found.append((s, positions.item(lo), positions.item(hi - 1), hi - lo))
        return found

    def top(self, event: int) -> tuple[int, int, int, int]:
        """The published ``(bid, bid size, ask, ask size)`` of one quote, as Python ints."""
        return self.bid.item(event), self.bid_size.item(event), self.ask.item(event), self.ask_size.item(event)

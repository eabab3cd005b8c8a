"""Read a day for the realism report: a twin run folder or a recorded day in the replay format.

``load_source(path, symbol)`` tells the two apart by their files and returns a
``DaySource``: the symbol's best bid/offer timeline, its trades, the session
and, when known, the orders sent that day.

* **Run folder** (what ``twin run`` writes): ``market_nbbo.parquet`` (one row
  per change of the consolidated top) and ``market_prints.parquet`` (the
  market's prints; the broker-dealer's own taker fills are not on it), with
  the session in their ``twin.session_*_ns`` metadata; ``summary.json``'s
  ``market_realism`` gives the agents' order count when the run had agents.
* **Recorded day** (``docs/replay_format.md``): ``quotes`` and ``trades``
  (``.parquet``, or ``.csv`` for small hand-made days), read and checked by
  ``venues_sim.replay_columns.load_recorded``; the symbol's per-venue quotes
  become the NBBO (``stylized_facts.nbbo_from_venue_quotes``). The format has
  no session: the regular session (``session`` argument, default 09:30-16:00)
  on the New York date of the first quote is used, and the order count is
  unknown.

A folder that is neither, a missing folder or a symbol the source lacks raises
``SourceError`` with one line naming the path and the problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from venues_sim.replay_columns import load_recorded

from .stylized_facts import Tape, TopOfBook, nbbo_from_venue_quotes

RUN_NBBO, RUN_PRINTS = "market_nbbo.parquet", "market_prints.parquet"
NEW_YORK = ZoneInfo("America/New_York")
REGULAR_SESSION = (time(9, 30), time(16, 0))


class SourceError(ValueError):
    """A source the realism report cannot read: one line naming the path and the problem."""


@dataclass(frozen=True)
class DaySource:
    """One symbol's day, ready for ``stylized_facts.day_facts``."""

    path: Path
    kind: str  # "simulated" (a run folder) or "recorded" (a replay-format day)
    symbol: str
    book: TopOfBook
    tape: Tape
    open_ns: int
    close_ns: int
    orders: int | None
    notes: tuple[str, ...]


def detect(path: Path) -> str:
    """"run" or "recorded" by the folder's files; ``SourceError`` otherwise."""
    if not path.exists():
        raise SourceError(f"{path}: no such folder")
    if not path.is_dir():
        raise SourceError(f"{path}: not a folder (give a run folder or a recorded day folder)")
    if (path / RUN_NBBO).exists():
        return "run"
    if _day_files(path) is not None:
        return "recorded"
    if (path / "summary.json").exists():
        raise SourceError(f"{path}: run folder without {RUN_NBBO} (written by runs with a market timeline)")
    raise SourceError(f"{path}: neither a run folder ({RUN_NBBO}) nor a recorded day "
                      "(quotes.parquet and trades.parquet, or .csv)")


def _day_files(path: Path) -> tuple[Path, Path] | None:
    for suffix in (".parquet", ".csv"):
        quotes, trades = path / f"quotes{suffix}", path / f"trades{suffix}"
        if quotes.exists() and trades.exists():
            return quotes, trades
    return None


def load_source(path: str | Path, symbol: str | None = None,
                session: tuple[time, time] = REGULAR_SESSION) -> DaySource:
    """The day at ``path`` for ``symbol`` (default: the symbol with the most quote rows)."""
    path = Path(path)
    return _load_run(path, symbol) if detect(path) == "run" else _load_recorded(path, symbol, session)


def _ints(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).to_numpy().astype(np.int64, copy=False)


def _pick_symbol(path: Path, table: pa.Table, symbol: str | None) -> str:
    counts = {row["values"]: row["counts"] for row in pc.value_counts(table.column("symbol")).to_pylist()}
    if symbol is None:
        if not counts:
            raise SourceError(f"{path}: no quotes")
        return max(sorted(counts), key=lambda s: counts[s])
    if symbol not in counts:
        raise SourceError(f"{path}: symbol {symbol} not in the day (it has {', '.join(sorted(counts)) or 'none'})")
    return symbol


def _only(table: pa.Table, symbol: str) -> pa.Table:
    return table.filter(pc.equal(table.column("symbol"), symbol))


def _read_parquet(path: Path, columns: tuple[str, ...]) -> pa.Table:
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several types for a corrupt file
        raise SourceError(f"{path}: not a readable parquet file ({exc})") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise SourceError(f"{path}: missing column(s) {', '.join(missing)}")
    return table


def _meta_int(table: pa.Table, path: Path, key: str) -> int:
    value = (table.schema.metadata or {}).get(f"twin.{key}".encode())
    if value is None:
        raise SourceError(f"{path}: no twin.{key} in the file's metadata (written by an older twin?)")
    return int(value)


def _load_run(path: Path, symbol: str | None) -> DaySource:
    nbbo = _read_parquet(path / RUN_NBBO, ("symbol", "t_ns", "bid", "bid_size", "ask", "ask_size"))
    symbol = _pick_symbol(path / RUN_NBBO, nbbo, symbol)
    rows = _only(nbbo, symbol)
    book = TopOfBook(*(_ints(rows, c) for c in ("t_ns", "bid", "bid_size", "ask", "ask_size")))
    notes: list[str] = []
    if (path / RUN_PRINTS).exists():
        prints = _only(_read_parquet(path / RUN_PRINTS, ("symbol", "t_ns", "price", "qty")), symbol)
        tape = Tape(_ints(prints, "t_ns"), _ints(prints, "price"), _ints(prints, "qty"))
    else:
        notes.append(f"no {RUN_PRINTS}: no trades")
        tape = Tape(*(np.empty(0, np.int64) for _ in range(3)))
    return DaySource(path, "simulated", symbol, book, tape, _meta_int(nbbo, path / RUN_NBBO, "session_open_ns"),
                     _meta_int(nbbo, path / RUN_NBBO, "session_close_ns"), _run_orders(path, symbol, notes),
                     tuple(notes))


def _run_orders(path: Path, symbol: str, notes: list[str]) -> int | None:
    """The agents' orders sent on ``symbol`` (``summary.json``), None when the run does not say."""
    try:
        summary = json.loads((path / "summary.json").read_text())
        orders = summary["market_realism"]["symbols"][symbol]["trades"]["orders"]
    except (OSError, ValueError, KeyError, TypeError):
        orders = None
    if not orders:
        notes.append("order count unknown (summary.json has no agents' order count)")
        return None
    return int(orders)


def _load_recorded(path: Path, symbol: str | None, session: tuple[time, time]) -> DaySource:
    quotes_path, trades_path = _day_files(path)  # type: ignore[misc]  # detect() found them
    tables = load_recorded(quotes_path, trades_path)  # ReplayFormatError names file, row and column
    symbol = _pick_symbol(quotes_path, tables.quotes, symbol)
    quotes = _only(tables.quotes, symbol)
    venue = pc.dictionary_encode(quotes.column("venue")).combine_chunks().indices.to_numpy()
    book = nbbo_from_venue_quotes(*(_ints(quotes, c) if c != "venue" else venue.astype(np.int64)
                                    for c in ("timestamp_ns", "venue", "bid", "bid_size", "ask", "ask_size")))
    trades = _only(tables.trades, symbol)
    tape = Tape(_ints(trades, "timestamp_ns"), _ints(trades, "price"), _ints(trades, "size"))
    first = datetime.fromtimestamp(int(book.t_ns[0]) / 1e9, NEW_YORK).date()
    open_ns, close_ns = (int(datetime.combine(first, t, NEW_YORK).timestamp()) * 1_000_000_000 for t in session)
    venues = len(pc.unique(quotes.column("venue")))
    notes = (f"NBBO built from {quotes.num_rows:,} quotes of {venues} venue(s)",
             "order count unknown (the replay format records quotes and trades, not orders)")
    return DaySource(path, "recorded", symbol, book, tape, open_ns, close_ns, None, notes)

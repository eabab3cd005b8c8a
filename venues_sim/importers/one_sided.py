"""Quote feeds with one side per message, each message a venue's own bid or ask (format ``one-sided``).

Columns (header required, any order): ``timestamp_ns`` (or ISO ``timestamp``
with a zone), ``venue``, ``symbol``, ``side`` (B/BID/BUY or A/S/ASK/SELL/OFFER),
``price`` (decimal dollars), ``size`` (shares; price 0 and size 0 withdraw
the side). Each file must be in time order; several files (one per venue, say)
are merged by time. The other side of each venue's quote is carried forward
from that venue's last message for it, then the cleaning policy applies
(``cleaning``). The ``events`` reader is shared with the consolidated format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cleaning import Counts, Policy, carry_one_sided, kept
from .common import (TIME_COLUMNS, CsvTable, Options, check_monotonic, codes, integers, join_columns, keep_mask,
                     merge_codes, no_trades, read_csv, read_trades_csv, select, sides, time_column, timestamps, units)
from .tables import Columns, Imported

EVENT_COLUMNS = ("venue", "symbol", "side", "price", "size")


@dataclass(frozen=True, slots=True)
class Events:
    """One-sided messages from every file, filtered, in (file, line) order."""

    time: np.ndarray
    venue: np.ndarray
    symbol: np.ndarray
    side: np.ndarray  # 0 bid, 1 ask
    price: np.ndarray
    size: np.ndarray
    venues: tuple[str, ...]
    symbols: tuple[str, ...]


def read_events(paths: list[Path], options: Options, counts: Counts) -> Events:
    """Read and check one-sided message files; ``ReplayFormatError`` names file, line and column."""
    parts = []
    for path in paths:
        whole, columns = read_csv(path, EVENT_COLUMNS, _convert, one_of=TIME_COLUMNS)
        time, price, size = columns["time"], columns["price"], columns["size"]
        check_monotonic(time, lambda i, problem, whole=whole: whole.fail(i, time_column(whole), problem))
        half = np.flatnonzero((price == 0) != (size == 0))
        if half.size:
            i = int(half[0])
            raise whole.fail(i, "size" if price[i] else "price",
                             f"a withdrawn side has price 0 and size 0, got price {price[i]} units x {size[i]}")
        parts.append(columns)
    venue, venues = merge_codes([c["venue"] for c in parts])
    symbol, symbols = merge_codes([c["symbol"] for c in parts])
    time, side, price, size = (join_columns([c[k] for c in parts]) for k in ("time", "side", "price", "size"))
    keep = keep_mask(time, symbol, symbols, options, counts)
    return Events(*select(keep, time, venue, symbol, side, price, size), venues, symbols)


def _convert(block: CsvTable) -> dict:
    return {"time": timestamps(block), "side": sides(block), "price": units(block, "price"),
            "size": integers(block, "size"), "venue": codes(block.text("venue")), "symbol": codes(block.text("symbol"))}


def trades_for(options: Options, counts: Counts) -> Columns:
    """The ``--trades`` file when given, else no prints."""
    return read_trades_csv(options.trades, options, counts) if options.trades is not None else no_trades()


def import_one_sided(paths: list[Path], options: Options, policy: Policy) -> tuple[Imported, Counts]:
    """Per-venue one-sided messages -> per-venue two-sided quotes, cleaned."""
    counts = Counts()
    ev = read_events(paths, options, counts)
    # group = (symbol, venue); stable so equal times keep file order
    group = ev.symbol.astype(np.int64) * max(len(ev.venues), 1) + ev.venue
    order = np.lexsort((ev.time, group))
    group = group[order]
    time, venue, symbol, side, price, size = (a[order] for a in (ev.time, ev.venue, ev.symbol, ev.side, ev.price,
                                                                 ev.size))
    venues, symbols = ev.venues, ev.symbols
    del ev, order  # only the sorted copies from here on: memory follows one copy of the columns
    book = carry_one_sided(group, side, price, size, time, policy, counts)
    del group, side, price, size
    quotes = kept(book, time, venue, symbol, venues, symbols)
    source = {"format": "one-sided", "files": [str(p) for p in paths], "per_venue_quotes": True,
              "notes": ["each venue's other side carried forward from its last message for that side"]}
    if options.trades is not None:
        source["files"].append(str(options.trades))
    return Imported(quotes, trades_for(options, counts), source), counts

"""Plain two-sided top-of-book CSV (format ``csv``).

Columns (header required, any order): ``timestamp_ns`` (or ISO ``timestamp``
with a zone), ``venue``, ``symbol``, ``bid``, ``bid_size``, ``ask``,
``ask_size`` (decimal dollars and shares; 0 and 0 for an empty side), one row
per quote update of one venue: the replay format's CSV, with an ISO time
allowed. Each file must be in time order. Trades come from ``--trades``.
The cleaning policy applies per venue and symbol; a side's age is the time
since its price or size last changed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cleaning import Counts, Policy, kept, two_sided
from .common import (TIME_COLUMNS, CsvTable, Options, check_monotonic, codes, integers, keep_mask, merge_codes,
                     read_csv, select, time_column, timestamps, units)
from .tables import Imported
from .one_sided import trades_for

QUOTE_TEXT = ("venue", "symbol", "bid", "bid_size", "ask", "ask_size")


def _convert(block: CsvTable) -> dict:
    return {"time": timestamps(block), "bid": units(block, "bid"), "bid_size": integers(block, "bid_size"),
            "ask": units(block, "ask"), "ask_size": integers(block, "ask_size"),
            "venue": codes(block.text("venue")), "symbol": codes(block.text("symbol"))}


def import_csv(paths: list[Path], options: Options, policy: Policy) -> tuple[Imported, Counts]:
    """Two-sided quote rows per venue -> the day, cleaned."""
    counts = Counts()
    parts = []
    for path in paths:
        whole, columns = read_csv(path, QUOTE_TEXT, _convert, one_of=TIME_COLUMNS)
        check_monotonic(columns["time"], lambda i, problem, whole=whole: whole.fail(i, time_column(whole), problem))
        for name in ("bid", "ask"):
            price, size = columns[name], columns[f"{name}_size"]
            half = np.flatnonzero((price == 0) != (size == 0))
            if half.size:
                i = int(half[0])
                raise whole.fail(i, f"{name}_size",
                                 f"an empty {name} has price 0 and size 0, got {price[i]} units x {size[i]}")
        parts.append(columns)
    venue, venues = merge_codes([c["venue"] for c in parts])
    symbol, symbols = merge_codes([c["symbol"] for c in parts])
    time, bid, bid_size, ask, ask_size = (np.concatenate([c[k] for c in parts])
                                          for k in ("time", "bid", "bid_size", "ask", "ask_size"))
    keep = keep_mask(time, symbol, symbols, options, counts)
    time, venue, symbol, bid, bid_size, ask, ask_size = select(keep, time, venue, symbol, bid, bid_size, ask,
                                                               ask_size)
    group = symbol.astype(np.int64) * max(len(venues), 1) + venue
    order = np.lexsort((time, group))
    book = two_sided(group[order], bid[order], bid_size[order], ask[order], ask_size[order], time[order],
                     policy, counts)
    quotes = kept(book, time[order], venue[order], symbol[order], venues, symbols)
    files = [str(p) for p in paths] + ([str(options.trades)] if options.trades is not None else [])
    source = {"format": "csv", "files": files, "per_venue_quotes": True, "notes": []}
    return Imported(quotes, trades_for(options, counts), source), counts

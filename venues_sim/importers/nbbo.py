"""Consolidated best-bid/best-ask feeds naming the venue that holds each side (format ``nbbo``).

Two layouts, told apart by the header. One side per message: the columns of
``one-sided`` (``timestamp_ns``|``timestamp``, ``venue``, ``symbol``,
``side``, ``price``, ``size``), each message the consolidated best bid or
best offer of the symbol and ``venue`` the venue holding it; the other side is
carried forward. Both sides per row: ``timestamp_ns``|``timestamp``,
``symbol``, ``bid``, ``bid_size``, ``bid_venue``, ``ask``, ``ask_size``,
``ask_venue`` (a venue may be empty only with its empty side). The NBBO is
rebuilt per symbol and the cleaning policy applied to it (a crossed or locked
NBBO built by carrying sides forward means the older side is out of date).

Per-venue quotes are not in such a feed, and the output says so
(``per_venue_quotes: false`` in ``import.json``). The venues are modelled
from what is known, not invented: a venue shows a side only while it holds
that side of the NBBO; before and after, that side of its quote is unknown
(written as an empty side, price 0 size 0), never its last best price kept
as a stale quote. Sizes are the sizes the feed gives for the best.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cleaning import Counts, Policy, carry_one_sided, holder_rows, two_sided
from .common import (TIME_COLUMNS, CsvTable, Options, check_monotonic, codes, integers, keep_mask, merge_codes,
                     read_csv, select, time_column, timestamps, units)
from .tables import Columns, Imported
from .one_sided import read_events, trades_for

NOTE = ("per-venue quotes are absent from a consolidated feed: a venue shows a side only while it holds that side "
        "of the NBBO; otherwise that side is unknown (written empty), never kept as a stale quote")


TWO_SIDED = ("symbol", "bid", "bid_size", "bid_venue", "ask", "ask_size", "ask_venue")


def import_nbbo(paths: list[Path], options: Options, policy: Policy) -> tuple[Imported, Counts]:
    """Consolidated best quotes (one side per message, or both with their venues) -> the NBBO per symbol
    -> the venues' known quotes."""
    counts = Counts()
    if _two_sided(paths[0]):
        group, time, bid_venue, ask_venue, book, venues, symbols = _read_two_sided(paths, options, policy, counts)
    else:
        ev = read_events(paths, options, counts)
        order = np.lexsort((ev.time, ev.symbol))
        group, time, bid_venue = ev.symbol[order], ev.time[order], ev.venue[order]
        ask_venue, venues, symbols = bid_venue, ev.venues, ev.symbols
        book = carry_one_sided(group, ev.side[order], ev.price[order], ev.size[order], time, policy, counts)
    rows, venue, bid, bid_size, ask, ask_size = holder_rows(group, bid_venue, ask_venue, book)
    quotes = Columns(time[rows], venue.astype(np.int32), group[rows],
                     {"bid": bid, "bid_size": bid_size, "ask": ask, "ask_size": ask_size}, venues, symbols)
    source = {"format": "nbbo", "files": [str(p) for p in paths], "per_venue_quotes": False,
              "venue_model": "nbbo-holder", "nbbo_rows": int(book.keep.sum()), "notes": [NOTE]}
    if options.trades is not None:
        source["files"].append(str(options.trades))
    return Imported(quotes, trades_for(options, counts), source), counts


def _two_sided(path: Path) -> bool:
    """Whether the file's header has the two-sided layout (``bid_venue``...) rather than ``side``."""
    try:
        with path.open("rb") as f:
            header = f.readline().decode("utf-8", errors="replace")
    except OSError:
        return False  # the reader names the problem
    return "bid_venue" in [h.strip() for h in header.split(",")]


def _convert(block: CsvTable) -> dict:
    columns = {"time": timestamps(block), "symbol": codes(block.text("symbol"))}
    for side in ("bid", "ask"):
        columns[side] = units(block, side)
        columns[f"{side}_size"] = integers(block, f"{side}_size")
        columns[f"{side}_venue"] = codes(block.table.column(f"{side}_venue"))  # may be empty with an empty side
        price = columns[side]
        half = np.flatnonzero((price == 0) != (columns[f"{side}_size"] == 0))
        if half.size:
            raise block.fail(int(half[0]), f"{side}_size", f"an empty {side} has price 0 and size 0")
        names = np.array([*columns[f"{side}_venue"][1], ""], dtype=object)
        unnamed = np.flatnonzero((price > 0) & (names[columns[f"{side}_venue"][0]] == ""))
        if unnamed.size:
            raise block.fail(int(unnamed[0]), f"{side}_venue", "is missing (the venue holding the best price)")
    return columns


def _read_two_sided(paths: list[Path], options: Options, policy: Policy, counts: Counts):
    """Two-sided consolidated rows: (group, time, bid venue, ask venue, cleaned NBBO, venues, symbols)."""
    parts = []
    for path in paths:
        whole, columns = read_csv(path, TWO_SIDED, _convert, one_of=TIME_COLUMNS)
        check_monotonic(columns["time"], lambda i, problem, whole=whole: whole.fail(i, time_column(whole), problem))
        parts.append(columns)
    symbol, symbols = merge_codes([c["symbol"] for c in parts])
    venue_parts = [c["bid_venue"] for c in parts] + [c["ask_venue"] for c in parts]
    all_venues, venues = merge_codes(venue_parts)
    half = sum(len(c["bid_venue"][0]) for c in parts)
    bid_venue, ask_venue = all_venues[:half], all_venues[half:]
    time, bid, bid_size, ask, ask_size = (np.concatenate([c[k] for c in parts])
                                          for k in ("time", "bid", "bid_size", "ask", "ask_size"))
    keep = keep_mask(time, symbol, symbols, options, counts)
    time, symbol, bid_venue, ask_venue, bid, bid_size, ask, ask_size = select(
        keep, time, symbol, bid_venue, ask_venue, bid, bid_size, ask, ask_size)
    order = np.lexsort((time, symbol))
    group, bid_venue, ask_venue = symbol[order], bid_venue[order], ask_venue[order]
    book = two_sided(group, bid[order], bid_size[order], ask[order], ask_size[order], time[order], policy, counts,
                     holders=(bid_venue, ask_venue))
    return group, time[order], bid_venue, ask_venue, book, venues, symbols

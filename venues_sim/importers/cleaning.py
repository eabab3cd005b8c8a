"""The cleaning policy every importer applies: carry one-sided updates, crossed/locked/stale quotes, NBBO venues.

All of it is vectorised numpy over rows sorted by (group, time), a group being
one venue and symbol (or one symbol for a consolidated feed). Each side of a
quote has an *update row*: the row where that side last changed. Carrying a
side forward means showing the value from its update row.

Policy (``docs/importers.md``), chosen per run with ``Policy``:

* **crossed** (a venue's own bid above its own ask) and **locked** (bid equal
  to ask): no real venue's book holds either, so the older side must be out of
  date. ``clear-older`` (default): the side with the older update row becomes
  unknown (price 0, size 0) from that row until its next update; when both
  sides changed on the same row (a two-sided record), both become unknown.
  ``drop``: the row is left out (the venue keeps its previous quote in the
  replay). ``keep``: kept as received and counted.
* **stale**: with ``stale_after_ns`` set, a carried side older than that at a
  later row of its group becomes unknown from that row until its next update.
  Without it (default) nothing is judged stale by age.
Every action is counted in ``Counts`` and reported in the day's ``import.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from .tables import Columns


class Action(str, Enum):
    """What to do with a crossed or locked venue quote."""

    CLEAR_OLDER = "clear-older"
    DROP = "drop"
    KEEP = "keep"


@dataclass(frozen=True, slots=True)
class Policy:
    """The cleaning choices of one import (see the module docstring)."""

    crossed: Action = Action.CLEAR_OLDER
    locked: Action = Action.CLEAR_OLDER
    stale_after_ns: int | None = None

    def describe(self) -> dict:
        """The policy as plain data for ``import.json``."""
        return {"crossed": self.crossed.value, "locked": self.locked.value,
                "stale_after_s": None if self.stale_after_ns is None else self.stale_after_ns / 1e9}


@dataclass(slots=True)
class Counts:
    """What the cleaning found and did (rows as received, after carrying sides forward)."""

    crossed_rows: int = 0
    locked_rows: int = 0
    stale_sides: int = 0
    sides_cleared: int = 0
    rows_dropped: int = 0
    crossed_kept: int = 0
    locked_kept: int = 0
    other: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, count: int) -> None:
        """Count something an importer cleaned outside the quote policy (e.g. rows outside ``--date``)."""
        if count:
            self.other[name] = self.other.get(name, 0) + int(count)

    def as_dict(self) -> dict[str, int]:
        """Every count by name, for ``import.json`` and the summary."""
        base = {k: getattr(self, k) for k in ("crossed_rows", "locked_rows", "stale_sides", "sides_cleared",
                                              "rows_dropped", "crossed_kept", "locked_kept")}
        return base | dict(sorted(self.other.items()))


@dataclass(frozen=True, slots=True)
class Book:
    """Top of book per row (int64 arrays, 0 = unknown/empty side) and which rows to keep."""

    bid: np.ndarray
    bid_size: np.ndarray
    ask: np.ndarray
    ask_size: np.ndarray
    bid_row: np.ndarray  # update row of the bid shown, -1 when unknown
    ask_row: np.ndarray
    keep: np.ndarray  # bool


def kept(book: Book, time: np.ndarray, venue: np.ndarray, symbol: np.ndarray, venues: tuple[str, ...],
         symbols: tuple[str, ...]) -> Columns:
    """The book's kept rows as the day's quote columns (no copy when every row is kept)."""
    k = book.keep
    if k.all():
        return Columns(time, venue, symbol, {"bid": book.bid, "bid_size": book.bid_size, "ask": book.ask,
                                             "ask_size": book.ask_size}, venues, symbols)
    return Columns(time[k], venue[k], symbol[k], {"bid": book.bid[k], "bid_size": book.bid_size[k],
                                                  "ask": book.ask[k], "ask_size": book.ask_size[k]}, venues, symbols)


def group_starts(group: np.ndarray) -> np.ndarray:
    """For rows sorted by group: each row's group's first row."""
    n = group.size
    start = np.ones(n, dtype=bool)
    start[1:] = group[1:] != group[:-1]
    return np.maximum.accumulate(np.where(start, np.arange(n), 0))


def last_update(updated: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Each row's most recent row (same group, itself included) with ``updated``; -1 when none."""
    last = np.maximum.accumulate(np.where(updated, np.arange(updated.size), -1))
    return np.where(last >= starts, last, -1)


def carry_one_sided(group: np.ndarray, side: np.ndarray, price: np.ndarray, size: np.ndarray,
                    time: np.ndarray, policy: Policy, counts: Counts) -> Book:
    """One side per row (0 bid, 1 ask): carry the other side forward within the group, then clean."""
    starts = group_starts(group)
    bid_row = last_update(side == 0, starts)
    ask_row = last_update(side == 1, starts)
    # each row's price/size is the side it updates: both sides read the same arrays at their update rows
    return _policy((price, price), (size, size), bid_row, ask_row, time, policy, counts)


def two_sided(group: np.ndarray, bid: np.ndarray, bid_size: np.ndarray, ask: np.ndarray, ask_size: np.ndarray,
              time: np.ndarray, policy: Policy, counts: Counts,
              holders: tuple[np.ndarray, np.ndarray] | None = None) -> Book:
    """Both sides on each row: a side's update row is the last row where it changed; then clean.

    ``holders`` (bid venue, ask venue per row; consolidated feeds): a new holder is a change too.
    """
    starts = group_starts(group)
    first = np.arange(group.size) == starts
    changed_bid = first.copy()
    changed_ask = first.copy()
    changed_bid[1:] |= (bid[1:] != bid[:-1]) | (bid_size[1:] != bid_size[:-1])
    changed_ask[1:] |= (ask[1:] != ask[:-1]) | (ask_size[1:] != ask_size[:-1])
    if holders is not None:
        changed_bid[1:] |= holders[0][1:] != holders[0][:-1]
        changed_ask[1:] |= holders[1][1:] != holders[1][:-1]
    bid_row = last_update(changed_bid, starts)
    ask_row = last_update(changed_ask, starts)
    return _policy((bid, ask), (bid_size, ask_size), bid_row, ask_row, time, policy, counts)


def _policy(price: tuple[np.ndarray, np.ndarray], size: tuple[np.ndarray, np.ndarray], bid_row: np.ndarray,
            ask_row: np.ndarray, time: np.ndarray, policy: Policy, counts: Counts) -> Book:
    """Show each side's value from its update row, then apply the crossed/locked/stale policy."""
    def shown(side: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        safe = np.maximum(rows, 0)
        known = (rows >= 0) & (size[side][safe] > 0)  # a zero size is the side withdrawn
        return np.where(known, price[side][safe], 0), np.where(known, size[side][safe], 0)

    bid, bid_size = shown(0, bid_row)
    ask, ask_size = shown(1, ask_row)
    both = (bid > 0) & (ask > 0)
    crossed = both & (bid > ask)
    locked = both & (bid == ask)
    counts.crossed_rows += int(crossed.sum())
    counts.locked_rows += int(locked.sum())
    clear = np.zeros(bid.size, dtype=bool)
    keep = np.ones(bid.size, dtype=bool)
    for mask, action, kept in ((crossed, policy.crossed, "crossed_kept"), (locked, policy.locked, "locked_kept")):
        if action is Action.CLEAR_OLDER:
            clear |= mask
        elif action is Action.DROP:
            keep &= ~mask
        else:
            setattr(counts, kept, getattr(counts, kept) + int(mask.sum()))
    counts.rows_dropped += int((~keep).sum())
    bid_older = bid_row <= ask_row
    ask_older = ask_row <= bid_row
    flag_bid = clear & bid_older
    flag_ask = clear & ask_older
    if policy.stale_after_ns is not None:
        stale_bid = (bid > 0) & (time - time[np.maximum(bid_row, 0)] > policy.stale_after_ns)
        stale_ask = (ask > 0) & (time - time[np.maximum(ask_row, 0)] > policy.stale_after_ns)
        counts.stale_sides += _segments(stale_bid, bid_row) + _segments(stale_ask, ask_row)
        flag_bid |= stale_bid
        flag_ask |= stale_ask
    gone_bid = _from_first(flag_bid, bid_row)
    gone_ask = _from_first(flag_ask, ask_row)
    counts.sides_cleared += _segments(flag_bid & (bid > 0), bid_row) + _segments(flag_ask & (ask > 0), ask_row)
    # bid..ask_size are this function's own arrays (from np.where): cleared in place, no copies
    bid[gone_bid], bid_size[gone_bid], ask[gone_ask], ask_size[gone_ask] = 0, 0, 0, 0
    return Book(bid, bid_size, ask, ask_size, np.where(gone_bid, -1, bid_row), np.where(gone_ask, -1, ask_row),
                keep)


def _from_first(flag: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """True from the first flagged row of each segment (rows sharing an update row) to the segment's end.

    Rows of one segment are contiguous (sorted by group and time), so a running count of flags minus
    the count before the segment's update row says whether one was seen in the segment so far.
    """
    running = np.cumsum(flag)
    before = np.where(segment > 0, running[np.maximum(segment - 1, 0)], 0)
    return (segment >= 0) & (running - before > 0)


def _segments(flag: np.ndarray, segment: np.ndarray) -> int:
    """How many distinct segments have a flagged row."""
    return int(np.unique(segment[flag & (segment >= 0)]).size)


def holder_rows(group: np.ndarray, bid_venue: np.ndarray, ask_venue: np.ndarray,
                book: Book) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-venue quotes implied by a consolidated (NBBO) book, modelling only what is known.

    ``book`` is the NBBO per row of a symbol group; ``bid_venue[r]``/``ask_venue[r]`` the venues named
    on row r for each side (the same array for a one-sided feed). A venue is
    known only while it holds a side of the NBBO: it shows that side, and its other side is unknown (0)
    unless it holds that too. When it stops holding a side, that side becomes unknown, not stale.
    Returns (row, venue, bid, bid_size, ask, ask_size): a row for every venue whose known quote changed
    at that row, in row order (row is the NBBO row it came from).
    """
    n = group.size
    bid_holder = np.where((book.bid_row >= 0) & (book.bid > 0), bid_venue[np.maximum(book.bid_row, 0)], -1)
    ask_holder = np.where((book.ask_row >= 0) & (book.ask > 0), ask_venue[np.maximum(book.ask_row, 0)], -1)
    first = np.ones(n, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    prev = np.maximum(np.arange(n) - 1, 0)
    prev_bid_holder = np.where(first, -1, bid_holder[prev])
    prev_ask_holder = np.where(first, -1, ask_holder[prev])

    def quote_of(v: np.ndarray, at: np.ndarray, bh: np.ndarray, ah: np.ndarray):
        holds_bid, holds_ask = (bh == v) & (v >= 0), (ah == v) & (v >= 0)
        return (np.where(holds_bid, book.bid[at], 0), np.where(holds_bid, book.bid_size[at], 0),
                np.where(holds_ask, book.ask[at], 0), np.where(holds_ask, book.ask_size[at], 0))

    here = np.arange(n)
    candidates = (bid_holder, ask_holder, prev_bid_holder, prev_ask_holder)
    parts = []
    for k, v in enumerate(candidates):
        now = quote_of(v, here, bid_holder, ask_holder)
        before = quote_of(v, prev, prev_bid_holder, prev_ask_holder)
        changed = (v >= 0) & ~(
            (now[0] == before[0]) & (now[1] == before[1]) & (now[2] == before[2]) & (now[3] == before[3]))
        changed &= book.keep
        for earlier in candidates[:k]:
            changed &= v != earlier
        rows = np.flatnonzero(changed)
        parts.append((rows, v[rows], *(q[rows] for q in now)))
    merged = [np.concatenate([p[i] for p in parts]) for i in range(6)]
    order = np.argsort(merged[0], kind="stable")
    return tuple(m[order] for m in merged)  # type: ignore[return-value]

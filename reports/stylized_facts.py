"""Stylised facts of one symbol's day, simulated or recorded, computed the same way for both.

Input is a top-of-book timeline (``TopOfBook``: one row per change of the best
bid/offer, prices in integer units, sizes in shares, 0 for an empty side) and
the day's trades (``Tape``). A recorded day's per-venue quotes become one
consolidated timeline with ``nbbo_from_venue_quotes`` (vectorised: a million
quotes take well under a second). ``day_facts`` then samples the timeline on a
regular grid (1 s by default, as the market recorder of a run does) and
returns a JSON-able dict:

* ``returns``: log returns of the mid at 1 s, 1 min and 5 min (count, mean,
  std, skewness, excess kurtosis; the share of zero returns), each with the
  ACF of returns and of absolute returns at lags 1..10, the 95% band of an
  uncorrelated series (1.96/sqrt(n)) and how many lags fall outside it;
* ``spread_ticks`` / ``top_depth``: their distributions over the samples;
* ``intraday``: volume and volatility per 30-minute bucket of the session, and
  the U-shape ratios (first and last bucket over the median bucket);
* ``trades`` and ``order_to_trade`` (None when order counts are unknown, as
  on a recorded day), and ``quote_updates_per_trade`` (top-of-book changes
  per trade, known for both).

Per-symbol moments, ACFs, spread and depth histograms come from
``reports.realism`` (the same code that fills ``summary.json``), so a run's
1-minute figures here equal its summary's. Pure analytics on numpy: floats
are fine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from components.domain.money import CENT

from .realism import ACF_LAGS, autocorrelation, minute_mids, moments, symbol_realism

NS = 1_000_000_000
RETURN_INTERVALS_NS: dict[str, int] = {"1s": NS, "1min": 60 * NS, "5min": 300 * NS}
"""The return horizons of the report, by label."""
PROFILE_BUCKET_NS = 30 * 60 * NS
U_SHAPE_MIN_RATIO = 1.5
"""A profile is called U-shaped when its first and last buckets are each at least this many times its median
bucket (issue 18's acceptance threshold)."""
_NS_PER_MIN = 60 * NS
_NO_ASK = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TopOfBook:
    """A best bid/offer timeline of one symbol: row i is in force from ``t_ns[i]`` to the next row."""

    t_ns: np.ndarray
    bid: np.ndarray
    bid_size: np.ndarray
    ask: np.ndarray
    ask_size: np.ndarray

    def __len__(self) -> int:
        return len(self.t_ns)


@dataclass(frozen=True)
class Tape:
    """The trades of one symbol in time order: price in units, quantity in shares."""

    t_ns: np.ndarray
    price: np.ndarray
    qty: np.ndarray


def nbbo_from_venue_quotes(t_ns: np.ndarray, venue: np.ndarray, bid: np.ndarray, bid_size: np.ndarray,
                           ask: np.ndarray, ask_size: np.ndarray) -> TopOfBook:
    """The consolidated best bid/offer of one symbol from its venues' quote updates (sorted by time).

    ``venue`` holds integer venue codes. Each venue's last quote stays in force until its next one; the
    best bid is the highest bid across venues, the best ask the lowest non-empty ask, and each size is the
    sum over the venues quoting that price. At equal timestamps only the state after the last row counts,
    and rows that leave the NBBO unchanged are dropped, so the result has one row per change. A crossed
    or locked NBBO (venues disagreeing) is kept as it is: the spread figures count it.
    Vectorised per venue (a few passes over the arrays per venue), never a Python loop per quote.
    """
    n = len(t_ns)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return TopOfBook(empty, empty, empty, empty, empty)
    ask_or_none = np.where(ask > 0, ask, _NO_ASK)  # an empty ask never wins the minimum
    # A sentinel row past the end holds "no quote yet" (price 0 / no ask, size 0) for rows before a venue's first.
    bid_, bid_size_, ask_, ask_size_ = (np.append(c, fill) for c, fill in
                                        ((bid, 0), (bid_size, 0), (ask_or_none, _NO_ASK), (ask_size, 0)))
    rows_of = [np.flatnonzero(venue == code) for code in np.unique(venue)]
    at = np.empty(n, dtype=np.int64)  # reused buffers: a fresh 8 MB array per venue and column costs more than the work
    value, size = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)

    def in_force(rows: np.ndarray) -> np.ndarray:
        """Per row of the day, the row of this venue's quote in force (the sentinel ``n`` before its first)."""
        at[:rows[0]] = n
        at[rows[0]:] = np.repeat(rows, np.diff(rows, append=n))  # one run per quote: no per-row loop
        return at

    best_bid = np.zeros(n, dtype=np.int64)
    best_ask = np.full(n, _NO_ASK, dtype=np.int64)
    for rows in rows_of:
        index = in_force(rows)
        np.maximum(best_bid, np.take(bid_, index, out=value, mode="clip"), out=best_bid)
        np.minimum(best_ask, np.take(ask_, index, out=value, mode="clip"), out=best_ask)
    bid_total = np.zeros(n, dtype=np.int64)
    ask_total = np.zeros(n, dtype=np.int64)
    for rows in rows_of:  # second pass: sizes at the best prices (recomputed, so memory stays O(n))
        index = in_force(rows)
        sides = ((bid_, bid_size_, best_bid, bid_total), (ask_, ask_size_, best_ask, ask_total))
        for price, sizes, best, total in sides:
            np.take(sizes, index, out=size, mode="clip")
            size[np.take(price, index, out=value, mode="clip") != best] = 0
            total += size
    bid_total[best_bid == 0] = 0
    ask_total[best_ask == _NO_ASK] = 0
    best_ask[best_ask == _NO_ASK] = 0
    last_of_time = np.append(t_ns[1:] != t_ns[:-1], True)
    keep = np.flatnonzero(last_of_time)
    cols = [best_bid[keep], bid_total[keep], best_ask[keep], ask_total[keep]]
    changed = np.ones(len(keep), dtype=bool)
    changed[1:] = np.any([c[1:] != c[:-1] for c in cols], axis=0)
    return TopOfBook(t_ns[keep][changed], *(c[changed] for c in cols))


def sample_grid(book: TopOfBook, start_ns: int, end_ns: int, interval_ns: int = NS) -> dict[str, np.ndarray]:
    """The timeline's state at ``start_ns``, ``start_ns + interval_ns``, ... before ``end_ns`` (a row at
    exactly a grid time is in force there), as ``reports.realism`` samples: t_ns, bid, bid_size, ask,
    ask_size. Grid times before the first row are empty (0)."""
    grid = np.arange(start_ns, end_ns, interval_ns, dtype=np.int64)
    at = np.searchsorted(book.t_ns, grid, side="right") - 1
    known = at >= 0
    at = np.maximum(at, 0)
    out = {"t_ns": grid}
    for name in ("bid", "bid_size", "ask", "ask_size"):
        column = getattr(book, name)
        out[name] = np.where(known, column[at], 0) if len(column) else np.zeros(len(grid), dtype=np.int64)
    return out


def interval_mids(t_ns: np.ndarray, bid: np.ndarray, ask: np.ndarray, interval_ns: int,
                  origin_ns: int) -> tuple[np.ndarray, np.ndarray]:
    """``(bucket, mid)``: the mid at the last sample of each ``interval_ns`` bucket counted from
    ``origin_ns`` (buckets before the first two-sided sample dropped, an empty side carrying the previous
    mid), by ``realism.minute_mids`` on bucket numbers scaled to minutes, so every horizon uses its rules."""
    bucket = (t_ns - origin_ns) // interval_ns
    mids = minute_mids(bucket * _NS_PER_MIN, bid, ask) if len(t_ns) else np.empty(0)
    if not len(mids):
        return np.empty(0, np.int64), mids
    buckets = np.unique(bucket)  # sorted; minute_mids keeps the last len(mids) of them
    return buckets[len(buckets) - len(mids):], mids


def acf_figures(x: np.ndarray, lags: int = ACF_LAGS) -> dict[str, Any]:
    """ACF of ``x`` at lags 1..``lags`` with the 95% band of an uncorrelated series and how many lags
    fall outside it (None values, where undefined, count as inside)."""
    values = autocorrelation(x, lags)
    band = float(1.96 / np.sqrt(len(x))) if len(x) else None
    outside = sum(1 for v in values if v is not None and band is not None and abs(v) > band)
    return {"lags": list(range(1, lags + 1)), "values": values, "band_95": band, "outside_band": outside}


def return_figures(samples: dict[str, np.ndarray], interval_ns: int, origin_ns: int) -> dict[str, Any]:
    """Moments and ACFs of the mid's log returns at one horizon."""
    _, mids = interval_mids(samples["t_ns"], samples["bid"], samples["ask"], interval_ns, origin_ns)
    returns = np.diff(np.log(mids)) if len(mids) > 1 else np.empty(0)
    out: dict[str, Any] = moments(returns)
    out["zero_fraction"] = float(np.mean(returns == 0.0)) if len(returns) else None
    out["acf"] = acf_figures(returns)
    out["abs_acf"] = acf_figures(np.abs(returns))
    return out


def _u_ratios(values: np.ndarray) -> dict[str, Any]:
    """First and last bucket over the median bucket, and whether both reach ``U_SHAPE_MIN_RATIO``."""
    median = float(np.median(values)) if len(values) else 0.0
    if len(values) < 3 or median <= 0.0:
        return {"first_over_median": None, "last_over_median": None, "u_shaped": None}
    first, last = float(values[0]) / median, float(values[-1]) / median
    return {"first_over_median": first, "last_over_median": last,
            "u_shaped": bool(first >= U_SHAPE_MIN_RATIO and last >= U_SHAPE_MIN_RATIO)}


def intraday_profile(samples: dict[str, np.ndarray], tape: Tape, open_ns: int, close_ns: int,
                     bucket_ns: int = PROFILE_BUCKET_NS) -> dict[str, Any]:
    """Volume share and volatility (root mean square of the 1-minute log returns, in bps) per
    ``bucket_ns`` bucket of the session, with the U-shape ratios of both."""
    buckets = max(1, -(-(close_ns - open_ns) // bucket_ns))
    in_session = (tape.t_ns >= open_ns) & (tape.t_ns < close_ns)
    index = (tape.t_ns[in_session] - open_ns) // bucket_ns
    volume = np.bincount(index, weights=tape.qty[in_session].astype(float), minlength=buckets)[:buckets]
    total = float(volume.sum())
    share = volume / total if total else np.zeros(buckets)
    minute, mids = interval_mids(samples["t_ns"], samples["bid"], samples["ask"], _NS_PER_MIN, open_ns)
    returns = np.diff(np.log(mids)) if len(mids) > 1 else np.empty(0)
    # a return belongs to the bucket of the minute it ends in
    where = (minute[1:] * _NS_PER_MIN) // bucket_ns if len(returns) else np.empty(0, np.int64)
    ok = (where >= 0) & (where < buckets)
    sq = np.bincount(where[ok], weights=returns[ok] ** 2, minlength=buckets)[:buckets]
    count = np.bincount(where[ok], minlength=buckets)[:buckets]
    vol = np.where(count > 0, np.sqrt(sq / np.maximum(count, 1)) * 1e4, np.nan)
    starts = [int(open_ns + i * bucket_ns) for i in range(buckets)]
    return {
        "bucket_minutes": bucket_ns // _NS_PER_MIN,
        "bucket_start_ns": starts,
        "volume": [int(v) for v in volume],
        "volume_share": [float(s) for s in share],
        "volume_u": _u_ratios(volume),
        "volatility_bps": [None if np.isnan(v) else float(v) for v in vol],
        "volatility_u": _u_ratios(vol[~np.isnan(vol)]) if count[0] and count[-1] else _u_ratios(np.empty(0)),
    }


def day_facts(book: TopOfBook, tape: Tape, open_ns: int, close_ns: int, *, orders: int | None = None,
              tick: int = CENT, sample_interval_ns: int = NS) -> dict[str, Any]:
    """The stylised facts of one symbol's session ``[open_ns, close_ns)`` (see the module docstring).

    ``orders``: orders sent that day (the order-to-trade ratio), None when unknown. The sample grid ends
    at the session close or one interval after the last timeline row, whichever is first, so a recording
    that stops early is not padded with a flat mid.
    """
    end = min(close_ns, int(book.t_ns[-1]) + sample_interval_ns) if len(book) else open_ns
    samples = sample_grid(book, open_ns, end, sample_interval_ns)
    in_session = (tape.t_ns >= open_ns) & (tape.t_ns < close_ns)
    trades = {"t_ns": tape.t_ns[in_session], "price": tape.price[in_session], "qty": tape.qty[in_session],
              "orders": orders or 0}
    base = symbol_realism(samples, trades, tick)  # spread, depth, 1-min histogram, trade counts: one code path
    trade_count = base["trades"]["count"]
    updates = int(((book.t_ns >= open_ns) & (book.t_ns < close_ns)).sum())
    returns = {label: return_figures(samples, ns, open_ns) for label, ns in RETURN_INTERVALS_NS.items()}
    returns["1min"]["histogram"] = base["returns_1min"]["histogram"]
    return {
        "session": {"open_ns": int(open_ns), "close_ns": int(close_ns), "sampled_until_ns": int(end),
                    "sample_interval_s": sample_interval_ns / NS},
        "samples": base["samples"],
        "two_sided_fraction": base["two_sided_fraction"],
        "crossed_samples": base["crossed_samples"],
        "locked_samples": base["locked_samples"],
        "mid_first": base["mid_first"],
        "mid_last": base["mid_last"],
        "returns": returns,
        "spread_ticks": base["spread_ticks"],
        "top_depth": base["top_depth"],
        "intraday": intraday_profile(samples, tape, open_ns, close_ns),
        "trades": base["trades"] | {"orders": orders},
        "order_to_trade": orders / trade_count if orders and trade_count else None,
        "quote_updates": updates,
        "quote_updates_per_trade": updates / trade_count if trade_count else None,
    }

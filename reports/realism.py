"""Market realism: stylised facts of the run's market (simulated or recorded), for ``summary.json`` and the report.

Input is what the run's market recorder kept (``twin.market_recorder``): per
symbol, top-of-book samples at a fixed interval at the primary venue, and,
when the run had agent populations, the trade tape. ``realism_section``
returns a JSON-able dict with, per symbol:

* ``returns_1min``: log returns of the mid between the last samples of
  consecutive minutes: count, mean, std, skewness, excess kurtosis (0 for a
  normal distribution; real 1-minute equity returns are fat-tailed, > 0) and
  a histogram for the plot;
* ``abs_return_acf``: autocorrelation of absolute 1-minute returns at lags
  1..10 (volatility clustering shows as positive values) with the 95% band of
  an uncorrelated series;
* ``spread_ticks``: distribution of the quoted spread in ticks;
* ``top_depth``: distribution of the shares at the best bid plus best ask;
* ``trades``: agent orders sent, trade count, volume and VWAP from the tape
  (None without one).

The section also carries ``market_digest``, a hash of all samples and trades,
so two runs can be checked to have made the same market.

Samples with an empty side carry the previous mid forward (and are left out of
the spread and depth figures). Everything here is analytics: floats are fine.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping, Sequence

import numpy as np

from components.domain.money import CENT, PRICE_SCALE

ACF_LAGS = 10
RETURN_BINS = 40
DEPTH_BINS = 30
DEPTH_CLIP_QUANTILE = 0.99  # deeper books share the last depth bar
SPREAD_CAP_TICKS = 30  # spreads wider than this share the last histogram bar
_NS_PER_MIN = 60_000_000_000


def minute_mids(t_ns: np.ndarray, bid: np.ndarray, ask: np.ndarray) -> np.ndarray:
    """Mid (units, float) at the last sample of each minute since the first sample.

    Minutes before the first two-sided sample are dropped; an empty side
    carries the previous mid forward.
    """
    two_sided = (bid > 0) & (ask > 0)
    if not two_sided.any():
        return np.empty(0)
    mid = np.where(two_sided, (bid + ask) / 2.0, np.nan)
    first = int(np.argmax(two_sided))
    # Forward-fill: index of the last two-sided sample at or before each sample.
    idx = np.where(two_sided, np.arange(len(mid)), 0)
    np.maximum.accumulate(idx, out=idx)
    mid = mid[idx]
    minute = (t_ns - t_ns[0]) // _NS_PER_MIN
    last_of_minute = np.flatnonzero(np.diff(minute, append=minute[-1] + 1))
    last_of_minute = last_of_minute[last_of_minute >= first]
    return mid[last_of_minute]


def moments(x: np.ndarray) -> dict[str, float | None]:
    """Count, mean, std, skewness and excess kurtosis (population moments)."""
    n = int(len(x))
    if n < 4:
        return {"count": n, "mean": None, "std": None, "skewness": None, "excess_kurtosis": None}
    d = x - x.mean()
    m2 = float(np.mean(d ** 2))
    if m2 == 0.0:
        return {"count": n, "mean": float(x.mean()), "std": 0.0, "skewness": None, "excess_kurtosis": None}
    return {
        "count": n,
        "mean": float(x.mean()),
        "std": float(np.sqrt(m2)),
        "skewness": float(np.mean(d ** 3) / m2 ** 1.5),
        "excess_kurtosis": float(np.mean(d ** 4) / m2 ** 2 - 3.0),
    }


def autocorrelation(x: np.ndarray, lags: int = ACF_LAGS) -> list[float | None]:
    """Sample autocorrelation of ``x`` at lags 1..``lags`` (None where undefined)."""
    d = x - x.mean() if len(x) else x
    denom = float(np.sum(d * d))
    out: list[float | None] = []
    for lag in range(1, lags + 1):
        if lag >= len(d) or denom == 0.0:
            out.append(None)
        else:
            out.append(float(np.sum(d[:-lag] * d[lag:]) / denom))
    return out


def _histogram(x: np.ndarray, bins: int, clip_quantile: float | None = None) -> dict[str, list]:
    """Counts over ``bins`` equal bins; with ``clip_quantile`` values above that quantile share the last
    bin (``last_includes_larger``), so a few very deep books do not squash the rest into one bar."""
    if len(x) == 0:
        return {"edges": [], "counts": []}
    clipped = clip_quantile is not None and len(x) > 1 and np.quantile(x, clip_quantile) < x.max()
    if clipped:
        x = np.minimum(x, np.quantile(x, clip_quantile))
    counts, edges = np.histogram(x, bins=bins)
    out: dict[str, Any] = {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}
    if clipped:
        out["last_includes_larger"] = True
    return out


def _distribution(x: np.ndarray) -> dict[str, float | None]:
    if len(x) == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None, "max": None}
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(x.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95), "max": float(x.max())}


def symbol_realism(samples: Mapping[str, Sequence[int]], trades: Mapping[str, Sequence[int]] | None,
                   tick: int = CENT) -> dict[str, Any]:
    """The realism figures of one symbol (see the module docstring)."""
    t_ns = np.asarray(samples["t_ns"], dtype=np.int64)
    bid = np.asarray(samples["bid"], dtype=np.int64)
    ask = np.asarray(samples["ask"], dtype=np.int64)
    depth = np.asarray(samples["bid_size"], dtype=np.int64) + np.asarray(samples["ask_size"], dtype=np.int64)
    two_sided = (bid > 0) & (ask > 0)
    mids = minute_mids(t_ns, bid, ask) if len(t_ns) else np.empty(0)
    returns = np.diff(np.log(mids)) if len(mids) > 1 else np.empty(0)
    abs_returns = np.abs(returns)
    # Recorded days hold crossed (ask < bid) and locked (ask == bid) rows: counted, kept out of the histogram.
    raw_spread = (ask - bid)[two_sided] // tick
    crossed, locked = int((raw_spread < 0).sum()), int((raw_spread == 0).sum())
    spread = raw_spread[raw_spread > 0]
    ret = moments(returns)
    ret["histogram"] = _histogram(returns, RETURN_BINS)
    capped = np.minimum(spread, SPREAD_CAP_TICKS)
    spread_counts = np.bincount(capped, minlength=SPREAD_CAP_TICKS + 1)[1:] if len(capped) else np.zeros(0, int)
    section: dict[str, Any] = {
        "samples": int(len(t_ns)),
        "two_sided_fraction": float(two_sided.mean()) if len(t_ns) else None,
        "crossed_samples": crossed,
        "locked_samples": locked,
        "mid_first": float(mids[0]) / PRICE_SCALE if len(mids) else None,
        "mid_last": float(mids[-1]) / PRICE_SCALE if len(mids) else None,
        "returns_1min": ret,
        "abs_return_acf": {
            "lags": list(range(1, ACF_LAGS + 1)),
            "values": autocorrelation(abs_returns),
            "band_95": float(1.96 / np.sqrt(len(returns))) if len(returns) else None,
        },
        "spread_ticks": {
            **_distribution(spread.astype(float)),
            "histogram": {"ticks": list(range(1, len(spread_counts) + 1)), "counts": [int(c) for c in spread_counts],
                          "last_includes_wider": True},
        },
        "top_depth": {**_distribution(depth[two_sided].astype(float)),
                      "histogram": _histogram(depth[two_sided].astype(float), DEPTH_BINS, DEPTH_CLIP_QUANTILE)},
        "trades": None,
    }
    if trades is not None:
        qty = np.asarray(trades["qty"], dtype=np.int64)
        price = np.asarray(trades["price"], dtype=np.int64)
        volume = int(qty.sum())
        section["trades"] = {
            "orders": int(trades.get("orders", 0)),
            "count": int(len(qty)),
            "volume": volume,
            "vwap": float(np.dot(price, qty)) / volume / PRICE_SCALE if volume else None,
        }
    return section


def market_digest(samples: Mapping[str, Mapping[str, Sequence[int]]],
                  trades: Mapping[str, Mapping[str, Sequence[int]]] | None = None) -> str:
    """SHA-256 of every sample and trade (little-endian int64s, symbols and fields in
    sorted order): the market's own fingerprint, since the event log holds only
    the broker-dealer's orders."""
    h = hashlib.sha256()
    for source in (samples, trades or {}):
        for symbol in sorted(source):
            h.update(symbol.encode("utf-8") + b"\0")
            for key in sorted(source[symbol]):
                value = source[symbol][key]
                h.update(key.encode("utf-8") + b"\0")
                h.update(np.asarray(value, dtype="<i8").tobytes())
    return h.hexdigest()


def realism_section(samples: Mapping[str, Mapping[str, Sequence[int]]],
                    trades: Mapping[str, Mapping[str, Sequence[int]]] | None = None, *,
                    venue: str, sample_interval_s: float, tick: int = CENT,
                    source: str = "simulated") -> dict[str, Any]:
    """``summary.json``'s ``market_realism``: venue, interval, market digest and per-symbol figures;
    ``source`` is "simulated" or "recorded" (a replayed day), so the report words fit the data."""
    trades = trades or {}
    return {
        "venue": venue,
        "source": source,
        "sample_interval_s": float(sample_interval_s),
        "market_digest": market_digest(samples, trades),
        "symbols": {s: symbol_realism(rows, trades.get(s), tick) for s, rows in samples.items()},
    }

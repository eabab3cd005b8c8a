"""A real-shaped, messy one-side-per-message quote feed for importer tests (not our own exporter).

Like the consolidated exchange day of issue 12: 12 venues quoting one symbol
around a random-walk mid in whole cents, one side per message, equal
timestamps across venues, venues that go quiet for long stretches (so their
carried side goes stale and their quote crosses or locks as the market moves
on), exact locks, odd lots, withdrawn sides (price 0 size 0), and a trades
file printing at venues' quotes. Seeded numpy, column at a time; run as a
script to write a large file: ``python -m tests.unit.venues_sim.importers.messy_feed ROWS DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

VENUES = ("XNAS", "XNYS", "ARCX", "BATS", "BATY", "EDGA", "EDGX", "IEXG", "MEMX", "XBOS", "XPSX", "XCHI")
OPEN_NS = 1_795_530_600_000_000_000  # 2026-11-24 09:30 New York


def write_feed(directory: Path, rows: int = 6_000, seed: int = 7, span_s: float = 300.0,
               symbol: str = "AAPL") -> tuple[Path, Path]:
    """Write ``quotes.csv`` (``rows`` messages, one side each) and ``trades.csv``; returns their paths."""
    rng = np.random.default_rng(seed)
    venue = rng.integers(0, len(VENUES), 2 * rows)
    quiet = np.isin(venue, (9, 10, 11)) & (rng.random(2 * rows) < 0.9)  # three venues rarely update
    venue = venue[~quiet][:rows]
    # times: sorted, clustered (pairs of messages at the same ns), spanning span_s
    times = OPEN_NS + np.sort(rng.integers(0, int(span_s * 1e9), rows // 2 + 1)).repeat(2)[:rows]
    mid = 190_00 + np.cumsum(rng.integers(-1, 2, rows))  # cents
    n = times.size
    side = rng.integers(0, 2, n)  # 0 bid, 1 ask
    half = rng.integers(0, 3, n)
    price_cents = np.where(side == 0, mid - half, mid + 1 + half)
    locked = rng.random(n) < 0.02  # an exact lock: the ask at the mid the bid may show
    price_cents = np.where(locked & (side == 1), mid, price_cents)
    size = np.where(rng.random(n) < 0.1, rng.integers(1, 100, n), 100 * rng.integers(1, 20, n))
    withdrawn = rng.random(n) < 0.01
    price_text = np.char.add(np.char.add((price_cents // 100).astype(str), "."),
                             np.char.zfill((price_cents % 100).astype(str), 2))
    price_text = np.where(withdrawn, "0", price_text)
    size = np.where(withdrawn, 0, size)
    names = np.array(VENUES)[venue]
    quotes = directory / "quotes.csv"
    table = np.stack([times.astype(str), names, np.full(n, symbol), np.where(side == 0, "B", "A"), price_text,
                      size.astype(str)], axis=1)
    with quotes.open("w") as f:
        f.write("timestamp_ns,venue,symbol,side,price,size\n")
        np.savetxt(f, table, fmt="%s", delimiter=",")
    printed = (rng.random(n) < 0.2) & ~withdrawn
    trades = directory / "trades.csv"
    t_table = np.stack([(times[printed] + 1).astype(str), names[printed], np.full(int(printed.sum()), symbol),
                        price_text[printed], (100 * rng.integers(1, 5, int(printed.sum()))).astype(str)], axis=1)
    with trades.open("w") as f:
        f.write("timestamp_ns,venue,symbol,price,size\n")
        np.savetxt(f, t_table, fmt="%s", delimiter=",")
    return quotes, trades


if __name__ == "__main__":
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    print(*write_feed(out, rows=int(sys.argv[1]), span_s=23_400.0))

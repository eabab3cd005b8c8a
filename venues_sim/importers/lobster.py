"""LOBSTER message + orderbook files (format ``lobster``): ``SOURCE`` is MESSAGE ORDERBOOK.

LOBSTER (lobsterdata.com) reconstructs one Nasdaq ticker's book for one day
into two headerless CSV files with one row per event, row k of each
describing the same event:

* message file ``TICKER_DATE_START_END_message_LEVEL.csv``: time (seconds
  after midnight, New York, up to 9 decimals), event type (1 submission,
  2 partial cancel, 3 deletion, 4 visible execution, 5 hidden execution,
  6 cross trade, 7 trading halt), order id, size, price (dollars x 10000,
  which is exactly our unit), direction (1 buy, -1 sell limit order).
* orderbook file: per level ask price, ask size, bid price, bid size
  (4 x LEVEL columns); an empty level has price 9999999999 (ask) or
  -9999999999 (bid) and size 0.

We write a quote row for every event whose level-1 book changed, and a trade
for every execution (types 4, 5, 6; the halt marker 7 carries no trade).
Symbol and date come from the file name, or ``--symbol``/``--date``; the
venue is ``--venue`` (default ``XNAS``: LOBSTER is Nasdaq TotalView-ITCH).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow.compute as pc

from ..replay_format import ReplayFormatError
from .cleaning import Counts, Policy, kept, two_sided
from .common import CsvTable, Options, check_monotonic, day_bounds_ns, decimal_to_int, integers, read_csv
from .tables import Columns, Imported

MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
DEFAULT_VENUE = "XNAS"
EMPTY_ASK, EMPTY_BID = 9_999_999_999, -9_999_999_999
_NAME = re.compile(r"^(?P<symbol>[A-Za-z.]+)_(?P<date>\d{4}-\d\d-\d\d)_\d+_\d+_(message|orderbook)_\d+")
_TRADE_TYPES = (4, 5, 6)


def import_lobster(paths: list[Path], options: Options, policy: Policy) -> tuple[Imported, Counts]:
    """A LOBSTER message/orderbook pair -> level-1 quotes of one venue and its executions."""
    if len(paths) != 2:
        raise ReplayFormatError(paths[0] if paths else "lobster", None, None,
                                f"lobster takes two files, MESSAGE then ORDERBOOK (got {len(paths)})")
    message_path, book_path = paths
    symbol, day = _symbol_and_date(message_path, options)
    counts = Counts()
    messages, columns = read_csv(message_path, MESSAGE_COLUMNS, _messages, headerless=True)
    seconds, kind, size, price = columns["seconds"], columns["type"], columns["size"], columns["price"]
    check_monotonic(seconds, lambda i, problem: messages.fail(i, "time", problem))
    book = _level_one(book_path, seconds.size)
    start, _ = day_bounds_ns(day)
    time = start + seconds
    trade = np.isin(kind, _TRADE_TYPES)
    bad = np.flatnonzero(trade & ((price <= 0) | (size <= 0)))
    if bad.size:
        column = "price" if price[bad[0]] <= 0 else "size"
        raise messages.fail(int(bad[0]), column,
                            f"an execution needs price and size > 0, got {price[bad[0]]} x {size[bad[0]]}")
    ask, ask_size, bid, bid_size = book
    changed = np.ones(time.size, dtype=bool)
    changed[1:] = ((ask[1:] != ask[:-1]) | (ask_size[1:] != ask_size[:-1])
                   | (bid[1:] != bid[:-1]) | (bid_size[1:] != bid_size[:-1]))
    counts.add("events_without_top_of_book_change", int((~changed).sum()))
    t, bid, bid_size, ask, ask_size = time[changed], bid[changed], bid_size[changed], ask[changed], ask_size[changed]
    group = np.zeros(t.size, dtype=np.int64)
    cleaned = two_sided(group, bid, bid_size, ask, ask_size, t, policy, counts)
    venue = options.venue or DEFAULT_VENUE
    zero = np.zeros(t.size, dtype=np.int32)
    quotes = kept(cleaned, t, zero, zero, (venue,), (symbol,))
    tz = np.zeros(int(trade.sum()), dtype=np.int32)
    trades = Columns(time[trade], tz, tz, {"price": price[trade], "size": size[trade]}, (venue,), (symbol,))
    source = {"format": "lobster", "files": [str(message_path), str(book_path)], "per_venue_quotes": True,
              "notes": [f"one venue ({venue}), level 1 of the LOBSTER book; {symbol} on {day.isoformat()}"]}
    return Imported(quotes, trades, source), counts


def _messages(block: CsvTable) -> dict:
    kind = integers(block, "type")
    bad = np.flatnonzero((kind < 1) | (kind > 7))
    if bad.size:
        raise block.fail(int(bad[0]), "type", f"must be an event type 1-7, got {kind[bad[0]]}")
    direction = integers(block, "direction", signed=True)
    bad = np.flatnonzero((direction != 1) & (direction != -1))
    if bad.size:
        raise block.fail(int(bad[0]), "direction", f"must be 1 (buy) or -1 (sell), got {direction[bad[0]]}")
    return {"seconds": _seconds(block), "type": kind, "size": integers(block, "size"),
            "price": integers(block, "price", signed=True)}


def _symbol_and_date(path: Path, options: Options) -> tuple[str, date]:
    match = _NAME.match(path.name)
    symbol = options.symbols[0] if options.symbols else (match["symbol"] if match else None)
    day = options.date or (date.fromisoformat(match["date"]) if match else None)
    if symbol is None or day is None:
        raise ReplayFormatError(path, None, None, "symbol and date not in the file name "
                                "(TICKER_YYYY-MM-DD_..._message_N.csv): give --symbol and --date")
    return symbol, day


def _seconds(messages: CsvTable) -> np.ndarray:
    """Seconds after midnight (up to 9 decimals) as int64 ns, exactly."""
    values = messages.text("time")
    ok = pc.match_substring_regex(values, r"^[0-9]{1,5}(\.[0-9]{0,9})?$")
    bad = pc.index(ok, False).as_py()
    if bad >= 0:
        raise messages.fail(bad, "time",
                            f"must be seconds after midnight (up to 9 decimals), got {values[bad].as_py()!r}")
    ns = decimal_to_int(values, 9, True)
    over = np.flatnonzero(ns >= 86_400 * 10**9)
    if over.size:
        raise messages.fail(int(over[0]), "time", f"must be under 86400 seconds, got {values[int(over[0])].as_py()!r}")
    return ns


def _level_one(path: Path, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Level 1 of the orderbook file: (ask, ask_size, bid, bid_size), empty sides as 0."""
    try:
        with path.open("rb") as f:
            head = f.readline().decode("utf-8", errors="replace")
    except OSError as exc:
        raise ReplayFormatError(path, None, None, f"cannot read: {exc.strerror}") from None
    fields = head.strip().count(",") + 1
    if not head.strip() or fields % 4:
        problem = "empty file" if not head.strip() else f"must have 4 columns per level, got {fields}"
        raise ReplayFormatError(path, 1, None, problem)
    names = tuple(f"{name}_{level}" for level in range(1, fields // 4 + 1)
                  for name in ("ask", "ask_size", "bid", "bid_size"))
    whole, book = read_csv(path, names, _book, headerless=True)
    del whole  # only the block errors need its line numbering
    if book["ask"].size != rows:
        raise ReplayFormatError(path, None, None, f"has {book['ask'].size} rows but the message file has {rows} "
                                                  "(row k of each must describe the same event)")
    return book["ask"], book["ask_size"], book["bid"], book["bid_size"]


def _book(block: CsvTable) -> dict:
    ask, bid = integers(block, "ask_1", signed=True), integers(block, "bid_1", signed=True)
    ask_size, bid_size = integers(block, "ask_size_1"), integers(block, "bid_size_1")
    for values, column, empty in ((ask, "ask_1", EMPTY_ASK), (bid, "bid_1", EMPTY_BID)):
        bad = np.flatnonzero((values <= 0) & (values != empty))
        if bad.size:
            raise block.fail(int(bad[0]), column,
                             f"must be > 0 or the empty-level marker {empty}, got {values[bad[0]]}")
    ask_empty, bid_empty = (ask == EMPTY_ASK) | (ask_size == 0), (bid == EMPTY_BID) | (bid_size == 0)
    return {"ask": np.where(ask_empty, 0, ask), "ask_size": np.where(ask_empty, 0, ask_size),
            "bid": np.where(bid_empty, 0, bid), "bid_size": np.where(bid_empty, 0, bid_size)}

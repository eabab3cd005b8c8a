"""Client order flow for ``twin replay``: a recorded orders file, or a strategy fed by the replayed quotes.

Orders file (CSV or parquet, chosen by suffix; described in ``docs/replay.md``),
one row per client order, columns (exactly these, any order):

===========  ==============================================  ==========================
column       CSV                                             parquet
===========  ==============================================  ==========================
timestamp    ns since epoch UTC, or ISO 8601 with an offset  int64 ns since epoch UTC
account      account id, e.g. ``AC-00001``                   string
symbol       ticker                                          string
side         ``BUY`` or ``SELL``                             string
quantity     whole shares > 0                                int64
type         ``MARKET`` or ``LIMIT``                         string
limit        decimal dollars (empty for MARKET)              int64 units or null
tif          ``DAY`` or ``IOC``                              string
===========  ==============================================  ==========================

Every problem is one ``OrdersFileError`` line naming file, row and column,
e.g. ``orders.csv:4: side: must be BUY or SELL, got 'BYU'``.

Strategy hook: ``--strategy pkg.mod:name`` names a callable that receives each
recorded quote (``components.domain.venues.Quote``) as its venue publishes it
and returns the orders to submit then (an iterable of ``StrategyOrder``, empty
for none). A class is instantiated once per run (so its state starts afresh
for each routing policy); a function is called as it is. Quotes arrive in the
replay's deterministic event order, so the same day gives the same orders.

A strategy that knows it ignores most quotes may also have the bulk form
(``bulk_stop`` and ``on_quotes``, ``venues_sim.replay_columns.BulkQuoteListener``;
``EveryNthQuote`` has it): the replay venue then hands it the quotes it would
send nothing for as runs of the day's columns instead of one ``Quote`` each
(``quote_listener``), which is most of a replay's cost on a million-quote day.
"""

from __future__ import annotations

import csv
import importlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable

from components.domain.money import to_units
from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import Quote
from venues_sim.replay_columns import takes_quotes_in_bulk
from venues_sim.replay_format import ReplayFormatError

ORDER_COLUMNS = ("timestamp", "account", "symbol", "side", "quantity", "type", "limit", "tif")


class OrdersFileError(ReplayFormatError):
    """One problem in an orders file: file, row (CSV line or 1-based parquet row), column, what is wrong."""

    def __reduce__(self):
        return (OrdersFileError, (self.path, self.row, self.column, self.problem))


@dataclass(frozen=True, slots=True)
class StrategyOrder:
    """An order a strategy (or an orders file row) submits. ``limit_price`` in units, LIMIT only."""

    account: str
    symbol: str
    side: Side
    quantity: int
    order_type: OrderType = OrderType.MARKET
    limit_price: int | None = None
    time_in_force: TimeInForce = TimeInForce.DAY


@dataclass(frozen=True, slots=True)
class RecordedOrder:
    """One row of an orders file: the order and when the client sent it (UTC ns)."""

    timestamp_ns: int
    order: StrategyOrder
    row: int


Strategy = Callable[[Quote], Iterable[StrategyOrder]]


def read_orders(path: str | Path) -> list[RecordedOrder]:
    """The orders of a CSV or parquet orders file, sorted stably by timestamp; ``OrdersFileError`` if bad."""
    path = Path(path)
    if path.suffix == ".csv":
        rows = _csv_rows(path)
    elif path.suffix == ".parquet":
        rows = _parquet_rows(path)
    else:
        raise OrdersFileError(path, None, None, "unknown format (want .csv or .parquet)")
    orders = [_order(path, number, raw) for number, raw in rows]
    orders.sort(key=lambda o: o.timestamp_ns)
    return orders


def _csv_rows(path: Path) -> list[tuple[int, dict]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            _check_columns(path, reader.fieldnames or [])
            return [(line, raw) for line, raw in enumerate(reader, start=2)]
    except OSError as exc:
        raise OrdersFileError(path, None, None, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise OrdersFileError(path, None, None, f"not UTF-8 text: {exc.reason}") from None


def _parquet_rows(path: Path) -> list[tuple[int, dict]]:
    import pyarrow as pa  # here, not at the top: `twin --help` imports this module through the CLI
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise OrdersFileError(path, None, None, f"not a readable parquet file: {exc}") from None
    _check_columns(path, table.column_names)
    for c in ("timestamp", "quantity", "limit"):
        if not pa.types.is_integer(table.schema.field(c).type) and not pa.types.is_null(table.schema.field(c).type):
            raise OrdersFileError(path, None, c, f"must be an integer type, got {table.schema.field(c).type}")
    data = {c: table.column(c).to_pylist() for c in ORDER_COLUMNS}
    # Parquet limits are integer units already: mark them so _order does not parse them as dollars.
    return [(i + 1, {**{c: data[c][i] for c in ORDER_COLUMNS}, "_units": True}) for i in range(table.num_rows)]


def _check_columns(path: Path, found: list[str]) -> None:
    if sorted(found) != sorted(ORDER_COLUMNS):
        missing = [c for c in ORDER_COLUMNS if c not in found]
        extra = [c for c in found if c not in ORDER_COLUMNS]
        detail = "; ".join(p for p in (f"missing {', '.join(missing)}" if missing else "",
                                       f"unexpected {', '.join(extra)}" if extra else "") if p)
        raise OrdersFileError(path, 1, None, f"columns must be {', '.join(ORDER_COLUMNS)} ({detail or 'no header'})")


def _order(path: Path, row: int, raw: dict) -> RecordedOrder:
    def fail(column: str, problem: str) -> OrdersFileError:
        return OrdersFileError(path, row, column, problem)

    def text(column: str) -> str:
        value = raw.get(column)
        if value is None or str(value).strip() == "":
            raise fail(column, "is missing")
        return str(value).strip()

    def choice(column: str, enum):
        value = text(column)
        try:
            return enum(value.upper())
        except ValueError:
            names = " or ".join(m.value for m in enum)
            raise fail(column, f"must be {names}, got {value!r}") from None

    timestamp = _timestamp(text("timestamp"), fail)
    account, symbol = text("account"), text("symbol")
    side, order_type, tif = choice("side", Side), choice("type", OrderType), choice("tif", TimeInForce)
    quantity_text = text("quantity")
    try:
        quantity = int(quantity_text)
    except ValueError:
        raise fail("quantity", f"must be a whole number of shares, got {quantity_text!r}") from None
    if quantity <= 0:
        raise fail("quantity", f"must be > 0, got {quantity}")
    limit_raw = raw.get("limit")
    has_limit = limit_raw is not None and str(limit_raw).strip() != ""
    limit = None
    if order_type is OrderType.MARKET and has_limit:
        raise fail("limit", f"must be empty for a MARKET order, got {limit_raw!r}")
    if order_type is OrderType.LIMIT:
        if not has_limit:
            raise fail("limit", "is missing (a LIMIT order needs a limit price)")
        limit = _limit(limit_raw, raw.get("_units", False), fail)
    order = StrategyOrder(account, symbol, side, quantity, order_type, limit, tif)
    return RecordedOrder(timestamp, order, row)


def _timestamp(value: str, fail) -> int:
    try:
        ts = int(value)
    except ValueError:
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise fail("timestamp", f"must be ns since the epoch or ISO 8601 with an offset, got {value!r}") from None
        if when.tzinfo is None:
            raise fail("timestamp", f"needs a UTC offset (e.g. 'Z' or '-05:00'), got {value!r}")
        try:  # whole seconds, then the exact microseconds: no float rounding
            ts = int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1_000
        except (OverflowError, ValueError, OSError):
            raise fail("timestamp", f"is out of range, got {value!r}") from None
    if ts <= 0:
        raise fail("timestamp", f"must be > 0, got {value!r}")
    return ts


def _limit(value, units: bool, fail) -> int:
    try:
        price = int(value) if units else to_units(Decimal(str(value).strip()))
    except (ValueError, ArithmeticError) as exc:
        raise fail("limit", f"must be a decimal dollar amount with at most 4 places, got {value!r} ({exc})") from None
    if price <= 0:
        raise fail("limit", f"must be > 0, got {value!r}")
    return price


def load_strategy(spec: str) -> Strategy:
    """The callable named by ``pkg.mod:name``; a class is instantiated (fresh state per call of this)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"--strategy: want 'package.module:name', got {spec!r}")
    try:
        target = getattr(importlib.import_module(module_name), attr)
    except ImportError as exc:
        raise ValueError(f"--strategy: cannot import {module_name!r}: {exc}") from None
    except AttributeError:
        raise ValueError(f"--strategy: module {module_name!r} has no {attr!r}") from None
    if isinstance(target, type):
        target = target()
    if not callable(target):
        raise ValueError(f"--strategy: {spec} is not callable")
    return target


class EveryNthQuote:
    """Example strategy: a ``quantity``-share MARKET order every ``every``-th quote, alternating buy and sell.

    Use as ``--strategy twin.replay_orders:EveryNthQuote`` (defaults: every 100th quote, 100 shares,
    account ``AC-00001``, any symbol). ``loadtests/benchmarks/bench_replay.py`` runs it on a million quotes.
    It takes the quotes between its orders in bulk (``bulk_stop``, ``on_quotes``): a subclass that changes
    which quotes send orders must change ``bulk_stop`` to match.
    """

    def __init__(self, every: int = 100, quantity: int = 100, account: str = "AC-00001") -> None:
        self.every, self.quantity, self.account = every, quantity, account
        self.seen = 0
        self.sent = 0

    def __call__(self, quote: Quote) -> tuple[StrategyOrder, ...]:
        self.seen += 1
        if self.seen % self.every:
            return ()
        side = Side.BUY if self.sent % 2 == 0 else Side.SELL
        self.sent += 1
        return (StrategyOrder(self.account, quote.symbol, side, self.quantity),)

    def bulk_stop(self, quotes: object, start: int, stop: int) -> int:
        """Runs end before the next ``every``-th quote: the one that sends an order is seen as a ``Quote``.
        A subclass with its own ``__call__`` (other quotes may send orders) sees every quote."""
        if type(self).__call__ is not EveryNthQuote.__call__:
            return start
        return min(stop, start + self.every - 1 - self.seen % self.every)

    def on_quotes(self, quotes: object, start: int, stop: int) -> None:
        """Quotes that send nothing (``bulk_stop``): only counted."""
        self.seen += stop - start


class _WithBulkForm:
    """A per-quote listener and the bulk form of the strategy it feeds (``quote_listener``)."""

    __slots__ = ("_per_quote", "bulk_stop", "on_quotes")

    def __init__(self, per_quote: Callable[[Quote], None], strategy: object):
        self._per_quote = per_quote
        self.bulk_stop = strategy.bulk_stop  # type: ignore[attr-defined]
        self.on_quotes = strategy.on_quotes  # type: ignore[attr-defined]

    def __call__(self, quote: Quote) -> None:
        self._per_quote(quote)


def quote_listener(per_quote: Callable[[Quote], None], strategy: object) -> Callable[[Quote], None]:
    """``per_quote`` (a ``ReplayVenue.listen`` callback that feeds ``strategy`` each quote and sends what it
    returns), with the strategy's bulk form when it has one: the quotes it takes in bulk are ones it returns
    no orders for, so ``per_quote`` would have sent nothing for them either. Without it, ``per_quote``."""
    if takes_quotes_in_bulk(strategy):
        return _WithBulkForm(per_quote, strategy)
    return per_quote

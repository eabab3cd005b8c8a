"""The recorded-day file format the replay venue reads, and its reader/writers.

A recorded day is two tables, each in its own file, CSV or parquet (chosen by
the file suffix: ``.csv`` or ``.parquet``). Full description with examples:
``docs/replay_format.md``.

quotes (one row per top-of-book update of one venue and symbol):

==============  ==========================  ===================================
column          CSV                         parquet
==============  ==========================  ===================================
timestamp_ns    integer, ns since epoch UTC int64
venue           text, e.g. ``XNAS``         string
symbol          text, e.g. ``AAPL``         string
bid             decimal dollars ``190.01``  int64 units (1 dollar = 10_000)
bid_size        integer shares              int64
ask             decimal dollars             int64 units
ask_size        integer shares              int64
==============  ==========================  ===================================

trades (one row per printed trade on a venue):

==============  ==========================  ===================================
timestamp_ns    integer, ns since epoch UTC int64
venue           text                        string
symbol          text                        string
price           decimal dollars             int64 units
size            integer shares              int64
==============  ==========================  ===================================

An empty quote side is price 0 and size 0. CSV files have a header row with
exactly these column names (any column order); extra columns are refused so a
misspelt name cannot be silently ignored. CSV prices are parsed with
``components.domain.money.to_units``: exact decimals with at most 4 places,
never floats. Rows need not be sorted: the reader sorts each table stably by
``timestamp_ns`` (rows with equal timestamps keep file order).

Every problem in a file is one ``ReplayFormatError`` naming the file, the row
(the CSV line, or the 1-based parquet row) and the column:
``quotes.csv:17: bid: must be a decimal amount with at most 4 places, got '1.00001'``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


from components.domain.money import format_price, to_units

QUOTE_COLUMNS = ("timestamp_ns", "venue", "symbol", "bid", "bid_size", "ask", "ask_size")
TRADE_COLUMNS = ("timestamp_ns", "venue", "symbol", "price", "size")
_QUOTE_PRICES = ("bid", "ask")
_TRADE_PRICES = ("price",)
_TEXT = ("venue", "symbol")


class ReplayFormatError(ValueError):
    """One problem in a recorded-day file: where it is (file, row, column) and what is wrong."""

    def __init__(self, path: str | Path, row: int | None, column: str | None, problem: str) -> None:
        self.path, self.row, self.column, self.problem = str(path), row, column, problem
        where = self.path + (f":{row}" if row is not None else "") + (f": {column}" if column else "")
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):  # picklable across process pools
        return (ReplayFormatError, (self.path, self.row, self.column, self.problem))


@dataclass(frozen=True, slots=True)
class RecordedQuote:
    """One recorded top-of-book update. Prices in units, 0 for an empty side."""

    timestamp_ns: int
    venue: str
    symbol: str
    bid: int
    bid_size: int
    ask: int
    ask_size: int


@dataclass(frozen=True, slots=True)
class RecordedTrade:
    """One recorded trade print. Price in units."""

    timestamp_ns: int
    venue: str
    symbol: str
    price: int
    size: int


@dataclass(frozen=True, slots=True)
class RecordedDay:
    """Both tables, each sorted stably by timestamp."""

    quotes: tuple[RecordedQuote, ...]
    trades: tuple[RecordedTrade, ...]

    def __post_init__(self) -> None:
        for name in ("quotes", "trades"):
            rows = getattr(self, name)
            object.__setattr__(self, name, tuple(sorted(rows, key=lambda r: r.timestamp_ns)))
        for r in self.quotes:
            _check(r, r.bid >= 0 and r.ask >= 0 and r.bid_size >= 0 and r.ask_size >= 0
                   and (r.bid == 0) == (r.bid_size == 0) and (r.ask == 0) == (r.ask_size == 0),
                   "prices and sizes must be >= 0, and a side's price is 0 exactly when its size is")
        for r in self.trades:
            _check(r, r.price > 0 and r.size > 0, "price and size must be > 0")

    def venues(self) -> tuple[str, ...]:
        """Venues that appear in either table, sorted."""
        return tuple(sorted({r.venue for r in self.quotes} | {r.venue for r in self.trades}))

    def symbols(self) -> tuple[str, ...]:
        """Symbols that appear in either table, sorted."""
        return tuple(sorted({r.symbol for r in self.quotes} | {r.symbol for r in self.trades}))


def _check(row: object, ok: bool, problem: str) -> None:
    if not ok:
        raise ValueError(f"bad recorded row {row!r}: {problem}")


# ------------------------------------------------------------------ reading


def load_day(quotes_path: str | Path, trades_path: str | Path) -> RecordedDay:
    """Read a recorded day from two files (``.csv`` or ``.parquet`` each); ``ReplayFormatError`` on a bad one."""
    quotes = [RecordedQuote(**row) for row in _rows(Path(quotes_path), QUOTE_COLUMNS, _QUOTE_PRICES, _quote_problem)]
    trades = [RecordedTrade(**row) for row in _rows(Path(trades_path), TRADE_COLUMNS, _TRADE_PRICES, _trade_problem)]
    return RecordedDay(tuple(quotes), tuple(trades))


def _quote_problem(row: dict) -> tuple[str, str] | None:
    for side in ("bid", "ask"):
        price, size = row[side], row[f"{side}_size"]
        if price < 0 or size < 0:
            return (side if price < 0 else f"{side}_size"), "must be >= 0"
        if (price == 0) != (size == 0):
            return f"{side}_size", f"an empty {side} has price 0 and size 0, got {format_price(price)} x {size}"
    return None


def _trade_problem(row: dict) -> tuple[str, str] | None:
    for column in ("price", "size"):
        if row[column] <= 0:
            return column, "must be > 0"
    return None


def _rows(path: Path, columns: tuple[str, ...], prices: tuple[str, ...], problem_of) -> list[dict]:
    """The file's rows as dicts of exact values, each checked by ``problem_of`` (row, column) -> problem."""
    if path.suffix == ".csv":
        numbered = _read_csv(path, columns, prices)
    elif path.suffix == ".parquet":
        numbered = _read_parquet(path, columns)
    else:
        raise ReplayFormatError(path, None, None, "unknown format (want .csv or .parquet)")
    rows = []
    for number, row in numbered:
        problem = problem_of(row)
        if problem is not None:
            raise ReplayFormatError(path, number, *problem)
        rows.append(row)
    return rows


def _read_csv(path: Path, columns: tuple[str, ...], prices: tuple[str, ...]) -> list[tuple[int, dict]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            _check_columns(path, reader.fieldnames or [], columns)
            return [(line, {c: _csv_value(path, line, c, raw.get(c), prices) for c in columns})
                    for line, raw in enumerate(reader, start=2)]
    except UnicodeDecodeError as exc:
        raise ReplayFormatError(path, None, None, f"not UTF-8 text: {exc.reason}") from None


def _csv_value(path: Path, line: int, column: str, text: str | None, prices: tuple[str, ...]) -> int | str:
    if text is None or text == "":
        raise ReplayFormatError(path, line, column, "is missing")
    if column in _TEXT:
        return text
    try:
        return to_units(text) if column in prices else int(text)
    except (ValueError, ArithmeticError) as exc:
        expect = "a decimal dollar amount" if column in prices else "a whole number"
        raise ReplayFormatError(path, line, column, f"must be {expect}, got {text!r} ({exc})") from None


def _read_parquet(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    import pyarrow as pa  # here, not at the top: every `twin` command imports this module (ReplayFormatError)
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReplayFormatError(path, None, None, f"not a readable parquet file: {exc}") from None
    _check_columns(path, table.column_names, columns)
    for c in columns:
        if c not in _TEXT and not pa.types.is_integer(table.schema.field(c).type):
            raise ReplayFormatError(path, None, c, f"must be an integer type, got {table.schema.field(c).type}")
        nulls = table.column(c).null_count
        if nulls:
            first = table.column(c).to_pylist().index(None) + 1
            raise ReplayFormatError(path, first, c, f"is missing ({nulls} empty values in the column)")
    data = {c: table.column(c).to_pylist() for c in columns}
    return [(i, dict(zip(columns, values))) for i, values in enumerate(zip(*(data[c] for c in columns)), start=1)]


def _check_columns(path: Path, found: list[str], columns: tuple[str, ...]) -> None:
    if sorted(found) != sorted(columns):
        missing = [c for c in columns if c not in found]
        extra = [c for c in found if c not in columns]
        detail = "; ".join(part for part in (f"missing {', '.join(missing)}" if missing else "",
                                             f"unexpected {', '.join(extra)}" if extra else "") if part)
        raise ReplayFormatError(path, 1, None, f"columns must be {', '.join(columns)} ({detail or 'no header'})")


# ------------------------------------------------------------------ writing


def write_csv(day: RecordedDay, quotes_path: str | Path, trades_path: str | Path) -> None:
    """Write ``day`` as two CSV files, prices as 4-decimal dollar strings."""
    _write_csv(Path(quotes_path), QUOTE_COLUMNS, _QUOTE_PRICES, day.quotes)
    _write_csv(Path(trades_path), TRADE_COLUMNS, _TRADE_PRICES, day.trades)


def _write_csv(path: Path, columns: tuple[str, ...], prices: tuple[str, ...], rows: tuple) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([format_price(getattr(r, c)) if c in prices else getattr(r, c) for c in columns])


def write_parquet(day: RecordedDay, quotes_path: str | Path, trades_path: str | Path) -> None:
    """Write ``day`` as two parquet files, prices as int64 units."""
    _write_parquet(Path(quotes_path), QUOTE_COLUMNS, day.quotes)
    _write_parquet(Path(trades_path), TRADE_COLUMNS, day.trades)


def _write_parquet(path: Path, columns: tuple[str, ...], rows: tuple) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = [
        pa.array([getattr(r, c) for r in rows], type=pa.string() if c in _TEXT else pa.int64())
        for c in columns
    ]
    pq.write_table(pa.Table.from_arrays(arrays, names=list(columns)), path)

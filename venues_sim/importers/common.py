"""Reading and checking outside files, shared by every importer: CSV as strings, exact parsing.

Every column is read by pyarrow as text and converted column at a time
(vectorised; no Python object per row), so a problem is found as the first
failing row of a vectorised check and reported as one
``ReplayFormatError``: ``file:LINE: column: problem``. LINE is the line of
the CSV file (the header is line 1). Files are streamed in blocks; each block
knows the line of its first row. pyarrow reads single-threaded so that it can
number a malformed row, and blank lines are kept as (empty) rows so that row
counting and line counting agree.

Exact numbers: prices are decimal strings turned into integer units
(1 dollar = 10_000) by splitting at the point, never through a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..replay_format import ReplayFormatError
from .tables import Columns

NEW_YORK = ZoneInfo("America/New_York")
PRICE_DECIMALS = 4  # 1 dollar = 10_000 units
TIME_COLUMNS = ("timestamp_ns", "timestamp")
"""A CSV names its time column one of these: integer ns since the epoch (UTC), or ISO-8601 with a zone."""

_UNSIGNED = r"^[0-9]{1,12}$"


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A block of a CSV file read as text: its path, the rows (every column a string) and the line of row 0."""

    path: Path
    table: pa.Table
    first_line: int = 2  # the line of data row 0: 2 after a header, 1 in a file without one

    @property
    def rows(self) -> int:
        """Data rows in this block."""
        return self.table.num_rows

    def fail(self, index: int | None, column: str | None, problem: str) -> ReplayFormatError:
        """The error for data row ``index`` (0-based; None: the whole file) and ``column``."""
        return ReplayFormatError(self.path, None if index is None else index + self.first_line, column, problem)

    def text(self, column: str) -> pa.ChunkedArray:
        """One column as strings (chunked as read: no copy); an empty cell is refused, naming its line."""
        values = self.table.column(column)
        empty = pc.equal(pc.utf8_length(values), 0)
        first = _first_true(empty)
        if first is not None:
            raise self.fail(first, column, "is missing")
        return values


def read_csv(path: str | Path, required: tuple[str, ...], convert: Callable[[CsvTable], dict],
             optional: tuple[str, ...] = (), one_of: tuple[str, ...] = (),
             headerless: bool = False) -> tuple[CsvTable, dict]:
    """Stream ``path`` in blocks, every column as text, and ``convert`` each block to numpy columns.

    The header row is required: ``required`` columns must all be there, ``one_of`` (if given)
    exactly one of them, ``optional`` may be; anything else is refused so a misspelt name is not
    silently ignored. ``headerless``: the fields are ``required`` by position (LOBSTER); a first
    line that does not start with a digit or sign is then taken as a header and skipped.
    ``convert(block)`` returns a dict of numpy arrays and ``codes`` pairs; the blocks' results are
    joined in file order. Only one block of text is alive at a time, so memory follows the numpy
    columns, not the file. Returns (the whole file as an empty ``CsvTable`` for errors that need
    the file's line numbering, the joined columns).
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as exc:
        raise ReplayFormatError(path, None, None, f"cannot read: {exc.strerror}") from None
    if not head.strip():
        raise ReplayFormatError(path, 1, None, "empty file" + ("" if headerless else
                                                               " (a header row naming the columns is required)"))
    _check_utf8(path)
    header = [h.strip() for h in head.splitlines()[0].decode("utf-8", errors="replace").split(",")]
    skip = 0
    if headerless:
        skip = 0 if header[0][:1] in set("0123456789-+.") else 1
        header = list(required)
    else:
        _check_header(path, header, required, optional, one_of)
    first_line = 1 + skip if headerless else 2
    first_bad: list = []

    def invalid(row) -> str:
        first_bad.append(row)
        return "error"

    parts, rows = [], 0
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False, block_size=1 << 22, skip_rows=skip,
                                           column_names=header if headerless else None),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        names = [c.strip() for c in reader.schema.names]
        for batch in reader:
            block = CsvTable(path, pa.Table.from_batches([batch]).rename_columns(names), first_line + rows)
            parts.append(convert(block))
            rows += batch.num_rows
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        if first_bad:
            row = first_bad[0]
            # pyarrow numbers rows by file line, skipped header included
            raise ReplayFormatError(path, row.number, None,
                                    f"expected {row.expected_columns} fields, got {row.actual_columns}") from None
        raise ReplayFormatError(path, None, None, f"not readable as CSV text: {exc}") from None
    pa.default_memory_pool().release_unused()  # hand the text blocks' pages back before the numpy work
    if rows == 0:
        raise ReplayFormatError(path, first_line, None, "no data rows" + ("" if headerless else " after the header"))
    whole = CsvTable(path, pa.table({n: pa.array([], pa.string()) for n in names}), first_line)
    return whole, {key: join_columns([part[key] for part in parts]) for key in parts[0]}


def join_columns(values: list):
    """Blocks of one converted column joined: arrays concatenated, ``codes`` pairs merged."""
    if isinstance(values[0], tuple):
        return merge_codes(values)
    return values[0] if len(values) == 1 else np.concatenate(values)


def _check_header(path: Path, found: list[str], required: tuple[str, ...], optional: tuple[str, ...],
                  one_of: tuple[str, ...]) -> None:
    allowed = set(required) | set(optional) | set(one_of)
    missing = [c for c in required if c not in found]
    extra = [c for c in found if c not in allowed]
    chosen = [c for c in one_of if c in found]
    dupes = sorted({c for c in found if found.count(c) > 1})
    problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
        [f"unexpected {', '.join(extra)}"] if extra else []) + (
        [f"need exactly one of {', '.join(one_of)}"] if one_of and len(chosen) != 1 else []) + (
        [f"repeated {', '.join(dupes)}"] if dupes else [])
    if problems:
        want = ", ".join((*required, *(["|".join(one_of)] if one_of else []), *(f"[{c}]" for c in optional)))
        raise ReplayFormatError(path, 1, None, f"header must name the columns {want} ({'; '.join(problems)})")


def _check_utf8(path: Path) -> None:
    """Refuse bytes that are not UTF-8 naming their line, before pyarrow sees them (its invalid-row
    callback cannot even show such a row). Reads in 4 MiB chunks: memory stays flat."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ReplayFormatError(path, lines + chunk.count(b"\n", 0, exc.start) + 1, None,
                                        f"not UTF-8 text: {exc.reason}") from None
            lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise ReplayFormatError(path, lines + 1, None, f"not UTF-8 text: {exc.reason}") from None


def _first_true(mask: pa.Array) -> int | None:
    index = pc.index(pc.fill_null(mask, True), True).as_py()
    return None if index < 0 else index


# ------------------------------------------------------------------ columns


def units(csv: CsvTable, column: str, allow_zero: bool = True) -> np.ndarray:
    """A decimal-dollar column as int64 units, exactly; negative, malformed or over 4 places refused."""
    values = csv.text(column)
    bad = pc.invert(pc.match_substring_regex(values, r"^[0-9]{1,9}(\.[0-9]{0,4})?$"))
    first = _first_true(bad)
    if first is not None:
        raw = values[first].as_py()
        problem = ("must not be negative" if raw.lstrip().startswith("-")
                   else "has more than 4 decimal places" if pc.match_substring_regex(
                       pa.array([raw]), r"^[0-9]+\.[0-9]{5,}$")[0].as_py()
                   else "must be a decimal dollar amount")
        raise csv.fail(first, column, f"{problem}, got {raw!r}")
    return decimal_to_int(values, PRICE_DECIMALS, allow_zero, csv, column)


def decimal_to_int(values: pa.Array, decimals: int, allow_zero: bool, csv: CsvTable | None = None,
                   column: str = "") -> np.ndarray:
    """Checked decimal strings (``123`` or ``123.45``) to int64 scaled by 10**decimals, exactly."""
    whole = pc.replace_substring_regex(values, r"\..*$", "")
    fraction = pc.utf8_rpad(pc.replace_substring_regex(values, r"^[^.]*\.?", ""), decimals, "0")
    scaled = _ints(pc.cast(whole, pa.int64())) * 10 ** decimals
    scaled += _ints(pc.cast(fraction, pa.int64()))
    if not allow_zero and csv is not None:
        zero = np.flatnonzero(scaled <= 0)
        if zero.size:
            raise csv.fail(int(zero[0]), column, f"must be > 0, got {values[int(zero[0])].as_py()!r}")
    return scaled


def integers(csv: CsvTable, column: str, allow_zero: bool = True, signed: bool = False) -> np.ndarray:
    """A whole-number column (shares) as int64; decimals and text refused, and signs unless ``signed``."""
    values = csv.text(column)
    first = _first_true(pc.invert(pc.match_substring_regex(values, r"^-?[0-9]{1,12}$" if signed else _UNSIGNED)))
    if first is not None:
        raw = values[first].as_py()
        problem = ("must not be negative" if raw.lstrip().startswith("-") and not signed
                   else "must be a whole number")
        raise csv.fail(first, column, f"{problem}, got {raw!r}")
    result = _ints(pc.cast(values, pa.int64()))
    if not allow_zero:
        zero = np.flatnonzero(result == 0)
        if zero.size:
            raise csv.fail(int(zero[0]), column, "must be > 0, got '0'")
    return result


def timestamps(csv: CsvTable) -> np.ndarray:
    """The file's time column (``timestamp_ns`` or ISO ``timestamp``) as int64 ns since the epoch, UTC."""
    if "timestamp_ns" in csv.table.column_names:
        values = csv.text("timestamp_ns")
        well_formed = pc.match_substring_regex(values, r"^[0-9]{1,19}$")
        too_big = pc.and_(pc.equal(pc.utf8_length(values), 19), pc.greater(values, str(2**63 - 1)))
        first = _first_true(pc.or_(pc.invert(well_formed), too_big))
        if first is not None:
            raise csv.fail(first, "timestamp_ns",
                           f"must be whole ns since the Unix epoch, got {values[first].as_py()!r}")
        return _ints(pc.cast(values, pa.int64()))
    values = csv.text("timestamp")
    # a zone is required: a local time without one would silently be read as UTC
    zoned = pc.match_substring_regex(values, r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:?\d\d)$")
    first = _first_true(pc.invert(zoned))
    if first is None:
        try:
            return _ints(pc.cast(pc.cast(values, pa.timestamp("ns", tz="UTC")), pa.int64()))
        except pa.ArrowInvalid:
            bad = [i for i in range(len(values)) if not _parses(values[i].as_py())]  # error path only
            first = bad[0] if bad else 0
    raise csv.fail(first, "timestamp", "must be ISO-8601 with a zone, e.g. 2026-11-24T09:30:00.000123-05:00, "
                                       f"got {values[first].as_py()!r}")


def _parses(text: str) -> bool:
    try:
        pc.cast(pa.array([text]), pa.timestamp("ns", tz="UTC"))
    except pa.ArrowInvalid:
        return False
    return True


def check_monotonic(times: np.ndarray, fail) -> None:
    """Refuse a file whose time goes backwards: ``fail(index, problem)`` makes the error for row ``index``."""
    back = np.flatnonzero(np.diff(times) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise fail(i, f"time goes backwards ({times[i]} after {times[i - 1]} on the row before); "
                      "a feed file must be in time order")


def sides(csv: CsvTable, column: str = "side") -> np.ndarray:
    """A side column as 0 (bid) / 1 (ask); accepts B/BID/BUY and A/S/ASK/SELL/OFFER in any case."""
    values = pc.utf8_upper(pc.utf8_trim_whitespace(csv.text(column)))
    is_bid = pc.is_in(values, pa.array(["B", "BID", "BUY"]))
    is_ask = pc.is_in(values, pa.array(["A", "S", "ASK", "SELL", "OFFER"]))
    first = _first_true(pc.invert(pc.or_(is_bid, is_ask)))
    if first is not None:
        raise csv.fail(first, column, f"must be B (bid) or A (ask), got {csv.table.column(column)[first].as_py()!r}")
    return pc.cast(is_ask, pa.int8()).to_numpy()


def codes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Dictionary-encode text: (int32 codes, names); names sorted so codes are deterministic."""
    names = pc.unique(values).sort()
    return pc.index_in(values, names).to_numpy().astype(np.int32), tuple(names.to_pylist())


def merge_codes(parts: list[tuple[np.ndarray, tuple[str, ...]]]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Codes of several files (each ``codes`` output) recoded against the sorted union of their names."""
    names = tuple(sorted({name for _, part in parts for name in part}))
    index = {name: i for i, name in enumerate(names)}
    return (np.concatenate([np.array([index[n] for n in part] + [0], dtype=np.int32)[c] for c, part in parts])
            if parts else np.zeros(0, np.int32), names)


def _ints(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """An int64 arrow column as one numpy array."""
    return values.to_numpy().astype(np.int64, copy=False)


def day_bounds_ns(day: date) -> tuple[int, int]:
    """[start, end) of a New York calendar day in ns since the epoch."""
    start = datetime.combine(day, time(0), NEW_YORK)
    end = datetime.combine(date.fromordinal(day.toordinal() + 1), time(0), NEW_YORK)
    return int(start.timestamp()) * 10**9, int(end.timestamp()) * 10**9


def new_york_date(ns: int) -> date:
    """The New York calendar date of an epoch-ns time."""
    return datetime.fromtimestamp(ns / 1e9, NEW_YORK).date()


# ------------------------------------------------------------------ options and trades


@dataclass(frozen=True, slots=True)
class Options:
    """What every importer is told: symbols to keep (empty: all), the New York date (None: any),
    a venue name for single-venue sources, the optional trades file of the CSV formats."""

    symbols: tuple[str, ...] = ()
    date: date | None = None
    venue: str | None = None
    trades: Path | None = None


def keep_mask(time: np.ndarray, symbol: np.ndarray, names: tuple[str, ...], options: Options, counts) -> np.ndarray:
    """Rows to keep under ``--symbol`` and ``--date``; what is left out is counted."""
    keep = np.ones(time.size, dtype=bool)
    if options.symbols:
        wanted = np.array([name in options.symbols for name in names] + [False], dtype=bool)
        keep &= wanted[symbol]
        counts.add("rows_other_symbols", int((~keep).sum()))
    if options.date is not None:
        start, end = day_bounds_ns(options.date)
        inside = (time >= start) & (time < end)
        counts.add("rows_outside_date", int((keep & ~inside).sum()))
        keep &= inside
    return keep


def select(keep: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``arrays`` restricted to the ``keep`` rows; the arrays themselves (no copy) when all are kept."""
    return arrays if keep.all() else tuple(a[keep] for a in arrays)


TRADE_TEXT = ("venue", "symbol", "price", "size")


def read_trades_csv(path: Path, options: Options, counts):
    """A trades CSV (``timestamp_ns``|``timestamp``, venue, symbol, price, size), checked and filtered.

    """
    def convert(block: CsvTable) -> dict:
        return {"time": timestamps(block), "venue": codes(block.text("venue")), "symbol": codes(block.text("symbol")),
                "price": units(block, "price", allow_zero=False), "size": integers(block, "size", allow_zero=False)}

    whole, columns = read_csv(path, TRADE_TEXT, convert, one_of=TIME_COLUMNS)
    time, price, size = columns["time"], columns["price"], columns["size"]
    check_monotonic(time, lambda i, problem: whole.fail(i, time_column(whole), problem))
    (venue, venues), (symbol, symbols) = columns["venue"], columns["symbol"]
    keep = keep_mask(time, symbol, symbols, options, counts)
    time, venue, symbol, price, size = select(keep, time, venue, symbol, price, size)
    return Columns(time, venue, symbol, {"price": price, "size": size},
                   venues, symbols)


def time_column(csv: CsvTable) -> str:
    """The name of the file's time column."""
    return "timestamp_ns" if "timestamp_ns" in csv.table.column_names else "timestamp"


def no_trades():
    """An empty trades table (a source without prints: resting orders then never fill from prints)."""
    empty = np.zeros(0, dtype=np.int64)
    return Columns(empty, np.zeros(0, np.int32), np.zeros(0, np.int32), {"price": empty, "size": empty}, (), ())

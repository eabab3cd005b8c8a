"""LOBSTER message + orderbook import: level-1 quotes, executions as trades, one-line errors."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from twin.cli import main
from venues_sim.importers import import_day

MESSAGES = "AAPL_2026-11-24_34200000_57600000_message_2.csv"
BOOK = "AAPL_2026-11-24_34200000_57600000_orderbook_2.csv"
OPEN_NS = 1_795_530_600_000_000_000  # 09:30 New York = 34200 s after midnight

# time, type, order id, size, price, direction  |  ask1, asz1, bid1, bsz1, ask2, asz2, bid2, bsz2
ROWS = [
    ("34200.000000001,1,11,100,1900000,1", "1900200,300,1900000,100,1900300,100,1899900,500"),
    ("34200.5,1,12,50,1899000,1", "1900200,300,1900000,100,1900300,100,1899900,500"),  # deeper: no change
    ("34201,4,11,100,1900000,1", "1900200,300,-9999999999,0,1900300,100,-9999999999,0"),  # bid taken
    ("34202.25,5,0,40,1900100,-1", "1900200,300,-9999999999,0,1900300,100,-9999999999,0"),  # hidden print
    ("34203,7,-1,0,-1,-1", "1900200,300,-9999999999,0,1900300,100,-9999999999,0"),  # halt marker
]


def write(tmp_path, rows=ROWS, header: bool = False):
    (tmp_path / MESSAGES).write_text(("Time,Type,OrderID,Size,Price,Direction\n" if header else "")
                                     + "".join(m + "\n" for m, _ in rows))
    (tmp_path / BOOK).write_text("".join(b + "\n" for _, b in rows))
    return [tmp_path / MESSAGES, tmp_path / BOOK]


@pytest.mark.parametrize("header", [False, True])
def test_level_one_quotes_and_executions(tmp_path, header):
    meta = import_day("lobster", write(tmp_path, header=header), tmp_path / "day")
    quotes = pq.read_table(tmp_path / "day" / "quotes.parquet").to_pylist()
    assert [(q["timestamp_ns"], q["venue"], q["symbol"], q["bid"], q["bid_size"], q["ask"]) for q in quotes] == [
        (OPEN_NS + 1, "XNAS", "AAPL", 1900000, 100, 1900200), (OPEN_NS + 10**9, "XNAS", "AAPL", 0, 0, 1900200)]
    trades = pq.read_table(tmp_path / "day" / "trades.parquet").to_pylist()
    assert [(t["timestamp_ns"], t["price"], t["size"]) for t in trades] == [
        (OPEN_NS + 10**9, 1900000, 100), (OPEN_NS + 2_250_000_000, 1900100, 40)]
    assert meta["cleaned"]["events_without_top_of_book_change"] == 3


def bad(rows, index, message=None, book=None):
    rows = list(rows)
    m, b = rows[index]
    rows[index] = (message or m, book or b)
    return rows


@pytest.mark.parametrize("rows, which, expected", [
    (bad(ROWS, 1, message="34199,1,12,50,1899000,1"), MESSAGES, ":2: time: time goes backwards"),
    (bad(ROWS, 0, message="9:30,1,11,100,1900000,1"), MESSAGES, ":1: time: must be seconds after midnight"),
    (bad(ROWS, 2, message="34201,9,11,100,1900000,1"), MESSAGES, ":3: type: must be an event type 1-7"),
    (bad(ROWS, 2, message="34201,4,11,100,1900000,0"), MESSAGES, ":3: direction: must be 1 (buy) or -1"),
    (bad(ROWS, 2, message="34201,4,11,100,-1900000,1"), MESSAGES, ":3: price: an execution needs price"),
    (bad(ROWS, 1, message="34200.5,1,12,5x0,1899000,1"), MESSAGES, ":2: size: must be a whole number"),
    (bad(ROWS, 1, book="1900200,300,-5,100,1900300,100,1899900,500"), BOOK, ":2: bid_1: must be > 0 or the empty"),
    (bad(ROWS, 1, book="1900200,300,1900000,100,1900300"), BOOK, ":2: expected 8 fields, got 5"),
    (bad(ROWS, 0, book="1900200,300,1900000"), BOOK, ":1: must have 4 columns per level, got 3"),
    (ROWS[:0], MESSAGES, ":1: empty file"),
])
def test_a_bad_lobster_pair_is_one_line(tmp_path, capsys, rows, which, expected):
    paths = write(tmp_path, rows)
    status = main(["market", "import", "lobster", *map(str, paths), "--out", str(tmp_path / "day")])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith(f"invalid: {tmp_path / which}") and expected in err, err
    assert err.count("\n") == 1


def test_row_counts_must_match_and_the_name_gives_symbol_and_date(tmp_path, capsys):
    paths = write(tmp_path)
    paths[1].write_text("".join(b + "\n" for _, b in ROWS[:3]))
    status = main(["market", "import", "lobster", *map(str, paths), "--out", str(tmp_path / "day")])
    assert status == 2 and "has 3 rows but the message file has 5" in capsys.readouterr().err
    renamed = tmp_path / "m.csv"
    write(tmp_path)[0].rename(renamed)
    status = main(["market", "import", "lobster", str(renamed), str(tmp_path / BOOK), "--out", str(tmp_path / "d")])
    assert status == 2 and "give --symbol and --date" in capsys.readouterr().err
    status = main(["market", "import", "lobster", str(renamed), str(tmp_path / BOOK), "--out", str(tmp_path / "d"),
                   "--symbol", "MSFT", "--date", "2026-11-24", "--venue", "XNGS"])
    assert status == 0 and "venues 1: XNGS" in capsys.readouterr().out


def test_line_numbers_count_a_header_line_when_the_file_has_one(tmp_path, capsys):
    rows = bad(ROWS, 2, message="34201,4,11,100")
    paths = write(tmp_path, rows, header=True)
    status = main(["market", "import", "lobster", *map(str, paths), "--out", str(tmp_path / "day")])
    err = capsys.readouterr().err
    assert status == 2 and f"{paths[0]}:4: expected 6 fields, got 4" in err, err
    paths = write(tmp_path, bad(ROWS, 2, message="34201,9,11,100,1900000,1"), header=True)
    status = main(["market", "import", "lobster", *map(str, paths), "--out", str(tmp_path / "day")])
    assert status == 2 and f"{paths[0]}:4: type: must be an event type" in capsys.readouterr().err

"""Every bad input is one line naming file, line and column, exit 2, no traceback (also for random garbage)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twin.cli import main

HEADER = "timestamp_ns,venue,symbol,side,price,size\n"
GOOD = "1795530600000000000,XNAS,AAPL,B,190.00,100\n"


def run_import(tmp_path, capsys, fmt: str, files: dict[str, str | bytes], *extra: str) -> tuple[int, str]:
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
        paths.append(str(path))
    status = main(["market", "import", fmt, *paths, "--out", str(tmp_path / "day"), *extra])
    return status, capsys.readouterr().err


def assert_one_line(err: str, expected: str) -> None:
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("invalid: ") and expected in err, err


@pytest.mark.parametrize("content, expected", [
    ("", "q.csv:1: empty file"),
    (GOOD, "q.csv:1: header must name the columns"),  # no header: the first data line is read as one
    (HEADER, "q.csv:2: no data rows"),
    (HEADER.replace("side", "sid"), "q.csv:1: header must name the columns"),
    (HEADER + GOOD.replace("190.00", "19O.00"), "q.csv:2: price: must be a decimal dollar amount, got '19O.00'"),
    (HEADER + GOOD.replace("190.00", "-190.00"), "q.csv:2: price: must not be negative"),
    (HEADER + GOOD.replace("190.00", "190.00001"), "q.csv:2: price: has more than 4 decimal places"),
    (HEADER + GOOD + GOOD.replace(",B,", ",X,"), "q.csv:3: side: must be B (bid) or A (ask), got 'X'"),
    (HEADER + GOOD.replace("100\n", "1.5\n"), "q.csv:2: size: must be a whole number"),
    (HEADER + GOOD.replace("100\n", "-5\n"), "q.csv:2: size: must not be negative"),
    (HEADER + GOOD + GOOD.replace("0000000000,", "0000000001,").replace("1795", "1794"),
     "q.csv:3: timestamp_ns: time goes backwards"),
    (HEADER + GOOD + "\n" + GOOD, "q.csv:3: timestamp_ns: is missing"),
    (HEADER + GOOD + "1795530600000000001,XNAS,AAPL,B\n", "q.csv:3: expected 6 fields, got 4"),
    (HEADER + GOOD.replace("XNAS", ""), "q.csv:2: venue: is missing"),
    (HEADER + GOOD.replace("100\n", "0\n"), "q.csv:2: size: a withdrawn side has price 0 and size 0"),
    (HEADER + "abc,XNAS,AAPL,B,190.00,100\n", "q.csv:2: timestamp_ns: must be whole ns"),
])
@pytest.mark.parametrize("fmt", ["one-sided", "nbbo"])
def test_a_bad_one_sided_file(tmp_path, capsys, fmt, content, expected):
    status, err = run_import(tmp_path, capsys, fmt, {"q.csv": content})
    assert status == 2
    assert_one_line(err, f"{tmp_path / expected}")
    assert not (tmp_path / "day").exists()


def test_non_utf8_text_names_the_line(tmp_path, capsys):
    status, err = run_import(tmp_path, capsys, "one-sided", {"q.csv": (HEADER + GOOD).encode() + b"\xff\xfe,x\n"})
    assert status == 2 and assert_one_line(err, f"{tmp_path / 'q.csv'}:3: not UTF-8 text") is None


@pytest.mark.parametrize("content, expected", [
    ("timestamp,venue,symbol,bid,bid_size,ask,ask_size\n2026-11-24T09:30:00,XNAS,AAPL,1,1,2,1\n",
     "q.csv:2: timestamp: must be ISO-8601 with a zone"),
    ("timestamp_ns,venue,symbol,bid,bid_size,ask,ask_size\n1,XNAS,AAPL,1.00,0,2.00,1\n",
     "q.csv:2: bid_size: an empty bid has price 0 and size 0"),
    ("timestamp_ns,timestamp,venue,symbol,bid,bid_size,ask,ask_size\n1,x,XNAS,AAPL,1,1,2,1\n",
     "q.csv:1: header must name the columns"),
])
def test_a_bad_plain_csv(tmp_path, capsys, content, expected):
    status, err = run_import(tmp_path, capsys, "csv", {"q.csv": content})
    assert status == 2
    assert_one_line(err, str(tmp_path / expected))


def test_a_bad_trades_file(tmp_path, capsys):
    trades = "timestamp_ns,venue,symbol,price,size\n1795530600000000000,XNAS,AAPL,0,100\n"
    (tmp_path / "t.csv").write_text(trades)
    status, err = run_import(tmp_path, capsys, "one-sided", {"q.csv": HEADER + GOOD}, "--trades",
                             str(tmp_path / "t.csv"))
    assert status == 2
    assert_one_line(err, f"{tmp_path / 't.csv'}:2: price: must be > 0")


def test_bad_options_are_one_line(tmp_path, capsys):
    status, err = run_import(tmp_path, capsys, "one-sided", {"q.csv": HEADER + GOOD}, "--date", "24/11/2026")
    assert status == 2 and assert_one_line(err, "--date: must be YYYY-MM-DD") is None


def test_a_missing_file_is_one_line(tmp_path, capsys):
    status = main(["market", "import", "one-sided", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert status == 2 and assert_one_line(err, "nope.csv: cannot read") is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fmt=st.sampled_from(["one-sided", "nbbo", "csv", "lobster", "dbn"]),
       garbage=st.one_of(st.binary(max_size=300), st.text(max_size=300),
                         st.lists(st.lists(st.sampled_from(["1795530600000000000", "XNAS", "AAPL", "B", "A", "-1",
                                                            "190.01", "", "x", "0", "34200.5", "9999999999"]),
                                           min_size=1, max_size=8), max_size=6)
                         .map(lambda rows: HEADER + "\n".join(",".join(r) for r in rows))))
def test_random_garbage_gives_a_clean_error_never_a_traceback(tmp_path_factory, fmt, garbage):
    tmp_path = tmp_path_factory.mktemp("garbage")
    path = tmp_path / "AAPL_2026-11-24_0_0_message_1.csv"
    (path.write_bytes if isinstance(garbage, bytes) else path.write_text)(garbage)
    sources = [str(path), str(path)] if fmt == "lobster" else [str(path)]
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(["market", "import", fmt, *sources, "--out", str(tmp_path / "day")])
    text = err.getvalue()
    assert status in (0, 2), text
    if status == 2:
        assert text.startswith("invalid: ") and text.count("\n") == 1, text


@pytest.mark.parametrize("row, expected", [
    ("1,AAPL,190.00,100,,190.02,200,ARCX", "q.csv:2: bid_venue: is missing"),
    ("1,AAPL,190.00,0,XNAS,190.02,200,ARCX", "q.csv:2: bid_size: an empty bid has price 0 and size 0"),
    ("1,AAPL,190.00,100,XNAS,-190.02,200,ARCX", "q.csv:2: ask: must not be negative"),
])
def test_a_bad_two_sided_consolidated_file(tmp_path, capsys, row, expected):
    header = "timestamp_ns,symbol,bid,bid_size,bid_venue,ask,ask_size,ask_venue\n"
    status, err = run_import(tmp_path, capsys, "nbbo", {"q.csv": header + row + "\n"})
    assert status == 2
    assert_one_line(err, str(tmp_path / expected))


def test_a_time_beyond_int64_is_a_clean_error(tmp_path, capsys):
    status, err = run_import(tmp_path, capsys, "one-sided",
                             {"q.csv": HEADER + GOOD.replace("1795530600000000000", "9999999999999999999")})
    assert status == 2
    assert_one_line(err, f"{tmp_path / 'q.csv'}:2: timestamp_ns: must be whole ns since the Unix epoch")


@pytest.mark.parametrize("extra, expected", [
    (["--stale-after", "inf"], "--stale-after: must be between 0 and 86400"),
    (["--stale-after", "0"], "--stale-after: must be between 0 and 86400"),
])
def test_bad_policy_options_are_one_line(tmp_path, capsys, extra, expected):
    status, err = run_import(tmp_path, capsys, "one-sided", {"q.csv": HEADER + GOOD}, *extra)
    assert status == 2 and assert_one_line(err, expected) is None


def test_trades_are_refused_for_formats_that_carry_their_own(tmp_path, capsys):
    status, err = run_import(tmp_path, capsys, "dbn", {"d.dbn": b"DBN"}, "--trades", "t.csv")
    assert status == 2 and assert_one_line(err, "--trades: dbn files carry their own trades") is None

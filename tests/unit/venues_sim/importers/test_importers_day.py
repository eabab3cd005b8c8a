"""The day folder: parquet units metadata, import.json, and the summary computed by hand."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from venues_sim.importers import Action, Options, Policy, format_summary, import_day, read_meta, summarize
from venues_sim.replay_format import load_day

T0 = 1_795_530_600_000_000_000
S = 10**9


def test_summary_shares_gaps_and_metadata(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("timestamp_ns,venue,symbol,bid,bid_size,ask,ask_size\n"
                    f"{T0},XNAS,AAPL,190.00,100,190.02,100\n"
                    f"{T0 + 1 * S},ARCX,AAPL,190.02,100,190.01,100\n"  # crossed, kept
                    f"{T0 + 4 * S},XNAS,AAPL,190.00,100,0,0\n"  # one-sided
                    f"{T0 + 5 * S},ARCX,AAPL,190.01,100,190.01,100\n")  # locked, kept
    trades = tmp_path / "t.csv"
    trades.write_text(f"timestamp_ns,venue,symbol,price,size\n{T0 + 6 * S},BATS,AAPL,190.01,100\n")
    import_day("csv", [path], tmp_path / "day", Options(trades=trades), Policy(Action.KEEP, Action.KEEP))
    summary = summarize(tmp_path / "day")
    assert (summary["quotes"], summary["trades"]) == (4, 1)
    assert summary["venues"] == ["ARCX", "BATS", "XNAS"] and summary["symbols"] == ["AAPL"]
    assert summary["crossed_share"] == 0.25 and summary["locked_share"] == 0.25
    assert summary["one_sided_share"] == 0.25
    assert summary["per_venue"]["ARCX"] == {"quotes": 2, "crossed_share": 0.5, "locked_share": 0.5,
                                            "one_sided_share": 0.0}
    assert [g["seconds"] for g in summary["gaps"]["AAPL"]] == [3.0, 1.0, 1.0]
    assert summary["first"] == "2026-11-24T09:30:00-05:00" and summary["last"] == "2026-11-24T09:30:06-05:00"
    meta = read_meta(tmp_path / "day")
    assert meta == json.loads((tmp_path / "day" / "import.json").read_text())
    assert meta["cleaned"]["crossed_kept"] == 1 and meta["policy"]["crossed"] == "keep"
    assert "crossed 25.00%" in format_summary(summary, meta)
    schema = pq.read_schema(tmp_path / "day" / "quotes.parquet")
    assert b"1/10000 USD" in schema.metadata[b"price_unit"]
    day = load_day(tmp_path / "day" / "quotes.parquet", tmp_path / "day" / "trades.parquet")  # the replay reader
    assert day.quotes[1].bid == 1900200 and day.trades[0].venue == "BATS"


def test_a_source_spanning_several_days_needs_a_date(tmp_path):
    """A day folder is one New York trading day: without --date, rows of two days are refused (they were
    written as one "day" with an overnight gap), naming the dates; with --date the other day's rows go."""
    import datetime

    import pytest

    from venues_sim.replay_format import ReplayFormatError

    day = 86_400 * S
    path = tmp_path / "q.csv"
    path.write_text("timestamp_ns,venue,symbol,bid,bid_size,ask,ask_size\n"
                    f"{T0},XNAS,AAPL,190.00,100,190.02,100\n{T0 + 5 * day},XNAS,AAPL,191.00,100,191.02,100\n")
    trades = tmp_path / "t.csv"
    trades.write_text(f"timestamp_ns,venue,symbol,price,size\n{T0 + S},XNAS,AAPL,190.01,100\n")
    with pytest.raises(ReplayFormatError, match="span New York dates 2026-11-24 to 2026-11-29; .* give --date"):
        import_day("csv", [path], tmp_path / "day", Options(trades=trades))
    assert not (tmp_path / "day").exists()  # nothing written
    import_day("csv", [path], tmp_path / "day", Options(trades=trades, date=datetime.date(2026, 11, 24)))
    assert summarize(tmp_path / "day")["quotes"] == 1

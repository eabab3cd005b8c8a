"""`twin reports prepare` input checks: each run counted once, each run inside the period, one run per
trading day, nothing written on bad input; the firmROEID cross-check; 605 rows in size order."""

from __future__ import annotations

import json
import shutil

import pytest

from components.eventstore.sqlite import write_log_file
from components.regulatory.rule605 import NOTIONAL_BUCKETS, Row605
from reports.regulatory.package import check_unique_roe_ids, prepare_package
from reports.regulatory.rule605_files import rows_frame
from tests.unit.components.regulatory.kit import LogBuilder, ns
from tests.unit.components.regulatory.test_cat import day
from tests.unit.components.regulatory.test_rule606 import quarter_log

AT = "2027-01-05T10:00:00Z"


def _run(folder, builder):
    folder.mkdir(parents=True)
    write_log_file(folder / "events.sqlite", builder.events)
    return folder


@pytest.fixture()
def d(tmp_path):
    """A run of 2026-11-24 (`day()`)."""
    return _run(tmp_path / "d", day())


def _refused(runs, period, out, match):
    with pytest.raises(ValueError, match=match) as info:
        prepare_package(runs, period, out, AT)
    assert "\n" not in str(info.value)
    assert not out.exists()  # refused before anything is written
    return str(info.value)


def test_the_same_folder_twice_is_refused(d, tmp_path):
    _refused([d, d], "2026Q4", tmp_path / "pkg", r"--run .*d: the same run folder as --run .*d \(given twice\)")


def test_the_same_folder_spelled_differently_is_refused(d, tmp_path):
    (tmp_path / "link").symlink_to(d)
    (tmp_path / "sub").mkdir()
    for other in (tmp_path / "link", tmp_path / "sub" / ".." / "d"):
        _refused([d, other], "2026Q4", tmp_path / "pkg", "given twice")


def test_a_copy_of_a_run_is_refused(d, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(d, copy)
    _refused([d, copy], "2026Q4", tmp_path / "pkg", r"--run .*copy: holds the same run as --run .*d ")


def test_two_runs_of_the_same_trading_day_are_refused(d, tmp_path):
    other = LogBuilder()
    other.order("Z1", ns("2026-11-24"))
    other.route("Z1", ns("2026-11-24"), ("C9", "XNAS", 100))
    second = _run(tmp_path / "e", other)
    msg = _refused([d, second], "2026Q4", tmp_path / "pkg", r"--run .*e: trades on 2026-11-24, as does --run .*d")
    assert "firmROEID" in msg


def test_a_run_outside_the_period_is_refused(d, tmp_path):
    _refused([d], "2026Q1", tmp_path / "pkg",
             r"--run .*d: trades on 2026-11-24, outside --period 2026Q1 \(2026-01-01 to 2026-03-31\)")


def test_a_run_partly_outside_the_period_is_refused(tmp_path):
    q = _run(tmp_path / "q", quarter_log())  # October, November and December
    msg = _refused([q], "2027Q1", tmp_path / "pkg", "--run .*q: trades on 2026-10-05, 2026-11-02, 2026-12-07, outside")
    assert "--period 2027Q1" in msg


def test_a_good_package_cross_checks_firm_roe_ids(d, tmp_path):
    q = _run(tmp_path / "q", quarter_log())
    out = tmp_path / "pkg"
    summary = prepare_package([q, d], "2026Q4", out, AT)
    checks = {c["check"]: c for c in json.loads((out / "checks.json").read_text())}
    assert summary["failed_checks"] == 0
    assert checks["CAT firmROEIDs unique in the submission"]["ok"]
    assert checks["orders received outside the period"]["ok"]
    assert [r["trade_dates"] for r in summary["runs"]] == [["2026-10-05", "2026-11-02", "2026-12-07"], ["2026-11-24"]]


def test_the_firm_roe_id_check_fails_on_a_repeat():
    records = [{"firmROEID": "20261124_1"}, {"firmROEID": "20261124_2"}, {"firmROEID": "20261124_1"}]
    check = check_unique_roe_ids(records)
    assert not check.ok and check.events == ("20261124_1",) and check.reported == "1 repeated"
    assert check_unique_roe_ids(records[:2]).ok


def test_a_failure_while_writing_leaves_no_package(d, tmp_path, monkeypatch):
    import reports.regulatory.package as package

    def broken(records, path):
        raise ValueError("cat.json: simulated schema error")

    monkeypatch.setattr(package, "write_cat_file", broken)
    out = tmp_path / "pkg"
    with pytest.raises(ValueError, match="simulated"):
        prepare_package([d], "2026Q4", out, AT)
    assert not out.exists() and list(tmp_path.iterdir()) == [d]  # no staging folder left either


def test_a_non_empty_out_folder_is_refused_and_an_empty_one_used(d, tmp_path):
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"--out .*pkg: not empty"):
        prepare_package([d], "2026Q4", out, AT)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert prepare_package([d], "2026Q4", empty, AT)["failed_checks"] == 0
    assert (empty / "signoff.jsonl").is_file()


def test_bad_membership_or_venue_files_name_the_option(d, tmp_path):
    with pytest.raises(ValueError, match=r"--sp500 .*nope.txt: "):
        prepare_package([d], "2026Q4", tmp_path / "pkg", AT, sp500=tmp_path / "nope.txt")
    with pytest.raises(ValueError, match=r"--venues .*nope.csv: "):
        prepare_package([d], "2026Q4", tmp_path / "pkg", AT, venues=tmp_path / "nope.csv")
    assert not (tmp_path / "pkg").exists()


def test_cli_refuses_a_repeated_run_with_one_line_and_exit_2(d, tmp_path, capsys):
    from twin.cli import main

    out = tmp_path / "pkg"
    assert main(["reports", "prepare", "--run", str(d), "--run", f"{d}/", "--period", "2026Q4",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("invalid: --run ") and "given twice" in err and err.count("\n") == 1
    assert not out.exists()
    assert main(["reports", "prepare", "--run", str(d), "--period", "2026Q1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "trades on 2026-11-24, outside --period 2026Q1" in err and err.count("\n") == 1
    assert not out.exists()


def _row(bucket: str, order_type: str = "market") -> Row605:
    return Row605("AAPL", order_type, bucket, 1, 100, 100, None, None, None, (), None, None)


def test_605_rows_are_in_size_order():
    labels = [label for _lo, _hi, label in NOTIONAL_BUCKETS]
    rows = [_row(b, t) for t in ("nonMarketableLimit", "market") for b in sorted(labels)]  # text order
    frame = rows_frame(rows)
    assert list(frame["size_bucket"]) == labels + labels
    assert list(frame["order_type"]) == ["market"] * len(labels) + ["nonMarketableLimit"] * len(labels)

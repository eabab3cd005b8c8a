"""`twin reports prepare` on real runs: a repeated run, a second run of the same day and a run outside
the period are refused with nothing written; a good package's CAT ids are unique; 605 in size order."""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import Counter

import pytest

from components.regulatory.rule605 import NOTIONAL_BUCKETS
from tests.conftest import SCENARIOS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    """Two trading days of the quarter scenario, and a second (different seed) run of the first day."""
    from twin.cli import main

    root = tmp_path_factory.mktemp("days")
    scenario = str(SCENARIOS / "quarter.yaml")
    assert main(["reports", "run-days", scenario, "--date", "2026-10-14", "--date", "2026-11-11",
                 "--out", str(root / "q")]) == 0
    assert main(["reports", "run-days", scenario, "--date", "2026-10-14", "--seed", "99",
                 "--out", str(root / "r")]) == 0
    return root


def _prepare(capsys, out, period, *runs):
    from twin.cli import main

    args = ["reports", "prepare", "--period", period, "--out", str(out)]
    for r in runs:
        args += ["--run", str(r)]
    code = main(args)
    return code, capsys.readouterr()


@pytest.mark.parametrize("spelling", ["same", "slash", "symlink", "copy"])
def test_the_same_run_twice_is_refused(days, tmp_path, capsys, spelling):
    run = days / "q" / "2026-10-14"
    other = {"same": run, "slash": f"{run}/", "symlink": tmp_path / "link", "copy": tmp_path / "copy"}[spelling]
    if spelling == "symlink":
        other.symlink_to(run)
    if spelling == "copy":
        shutil.copytree(run, other)
    code, out = _prepare(capsys, tmp_path / "pkg", "2026Q4", run, other)
    assert code == 2 and out.err.count("\n") == 1 and out.err.startswith("invalid: --run ")
    assert ("holds the same run" if spelling == "copy" else "given twice") in out.err
    assert not (tmp_path / "pkg").exists()


def test_two_runs_of_one_day_are_refused(days, tmp_path, capsys):
    code, out = _prepare(capsys, tmp_path / "pkg", "2026Q4", days / "q" / "2026-10-14", days / "r" / "2026-10-14")
    assert code == 2 and "trades on 2026-10-14, as does --run" in out.err and "firmROEID" in out.err
    assert not (tmp_path / "pkg").exists()


def test_a_run_outside_the_period_is_refused(days, tmp_path, capsys):
    run = days / "q" / "2026-10-14"
    code, out = _prepare(capsys, tmp_path / "pkg", "2026Q1", run)
    assert code == 2
    assert out.err == (f"invalid: --run {run}: trades on 2026-10-14, outside --period 2026Q1 "
                       "(2026-01-01 to 2026-03-31)\n")
    assert not (tmp_path / "pkg").exists()


def test_two_days_make_one_package_with_unique_cat_ids_and_sized_605_rows(days, tmp_path, capsys):
    pkg = tmp_path / "pkg"
    code, out = _prepare(capsys, pkg, "2026Q4", days / "q" / "2026-10-14", days / "q" / "2026-11-11")
    assert code == 0 and "(0 failed)" in out.out
    summary = json.loads((pkg / "summary.json").read_text())
    assert [r["trade_dates"] for r in summary["runs"]] == [["2026-10-14"], ["2026-11-11"]]
    records = json.loads((pkg / "cat.json").read_text())
    assert not [k for k, n in Counter(r["firmROEID"] for r in records).items() if n > 1]
    checks = {c["check"]: c["ok"] for c in json.loads((pkg / "checks.json").read_text())}
    assert checks["CAT firmROEIDs unique in the submission"] and checks["orders received outside the period"]
    rank = {label: n for n, (_lo, _hi, label) in enumerate(NOTIONAL_BUCKETS)}
    cells = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>",
                       (pkg / "rule605.html").read_text())
    rows = [tuple(html.unescape(c) for c in row) for row in cells]
    assert len(rows) > 5
    for (sym, kind, bucket), (sym2, kind2, bucket2) in zip(rows, rows[1:]):
        if (sym, kind) == (sym2, kind2):
            assert rank[bucket] < rank[bucket2], (sym, kind, bucket, bucket2)

"""``make bench``'s pieces: figures.record, run_all.py (on one cheap benchmark) and compare.py."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from loadtests.benchmarks import compare, figures  # noqa: E402

COMPARE = ROOT / "loadtests" / "benchmarks" / "compare.py"


def bench_json(path: Path, benches: dict[str, dict], rc: dict[str, int] | None = None) -> Path:
    """A bench.json as run_all.py writes it: ``benches`` is {bench: {figure: (value, better)}}."""
    path.write_text(json.dumps({"machine": {"cpu_count": 2}, "benchmarks": {
        bench: {"figures": {name: {"value": v, "unit": "u", "better": b} for name, (v, b) in figs.items()},
                "wall_s": 1.0, "rc": (rc or {}).get(bench, 0)}
        for bench, figs in benches.items()}}))
    return path


def run_compare(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(COMPARE), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


# -- figures.record --------------------------------------------------------------------------------
def test_record_appends_lines_that_read_back(tmp_path, monkeypatch):
    target = tmp_path / "f.jsonl"
    monkeypatch.setenv(figures.ENV, str(target))
    figures.record("rate", 12.5, "ops/s", "higher")
    figures.record("p99", 3, "ms", "lower")
    figures.record("rate", 13.0, "ops/s", "higher")  # a later record of a name wins
    assert figures.read(target) == {"rate": {"value": 13.0, "unit": "ops/s", "better": "higher"},
                                    "p99": {"value": 3.0, "unit": "ms", "better": "lower"}}


def test_record_is_a_no_op_without_the_variable_but_still_checks(tmp_path, monkeypatch):
    monkeypatch.delenv(figures.ENV, raising=False)
    figures.record("rate", 1.0, "ops/s", "higher")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="'rate' better: must be 'lower' or 'higher'"):
        figures.record("rate", 1.0, "ops/s", "faster")
    with pytest.raises(ValueError, match="'rate' value: must be a finite number"):
        figures.record("rate", float("nan"), "ops/s", "higher")
    with pytest.raises(ValueError, match="figure name"):
        figures.record("", 1.0, "ops/s", "higher")


def test_a_bad_figure_line_is_named_by_file_and_line(tmp_path):
    bad = tmp_path / "f.jsonl"
    bad.write_text('{"name": "a", "value": 1, "unit": "s", "better": "lower"}\n{"name": "b"}\n')
    with pytest.raises(ValueError, match=r"f\.jsonl:2: not a figure record"):
        figures.read(bad)


# -- compare.py --------------------------------------------------------------------------------------
def test_ratio_is_oriented_so_above_one_is_better():
    assert compare.ratio(100, 200, "higher") == 2.0
    assert compare.ratio(2.0, 1.0, "lower") == 2.0
    assert compare.ratio(2.0, 4.0, "lower") == 0.5
    assert compare.ratio(0, 0, "lower") == 1.0
    assert math.isinf(compare.ratio(5, 0, "lower"))
    assert compare.ratio(-1, 2, "higher") is None


def test_compare_flags_a_regression_over_ten_percent_and_exits_1(tmp_path):
    old = bench_json(tmp_path / "old.json", {"bench_a": {"rate": (100, "higher"), "time": (1.0, "lower"),
                                                         "gone": (5, "lower")}})
    new = bench_json(tmp_path / "new.json", {"bench_a": {"rate": (85, "higher"), "time": (1.05, "lower"),
                                                         "added": (7, "higher")}})
    done = run_compare(str(old), str(new))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[1:] if line.startswith("bench_a/")}
    assert "REGRESSION" in lines["bench_a/rate"] and "0.850x" in lines["bench_a/rate"]
    assert lines["bench_a/time"].rstrip().endswith("ok")
    assert "only in OLD" in lines["bench_a/gone"] and "only in NEW" in lines["bench_a/added"]
    assert "1 regression(s) over 10%: bench_a/rate" in done.stdout
    warned = run_compare(str(old), str(new), "--warn-only")
    assert warned.returncode == 0 and "(warning only)" in warned.stdout


def test_a_benchmark_that_now_fails_is_a_regression(tmp_path):
    old = bench_json(tmp_path / "old.json", {"bench_a": {"rate": (100, "higher")}})
    new = bench_json(tmp_path / "new.json", {"bench_a": {}}, rc={"bench_a": 1})
    done = run_compare(str(old), str(new))
    assert done.returncode == 1 and "bench_a/rc" in done.stdout and "FAILED" in done.stdout


@pytest.mark.parametrize("content, message", [
    ("not json", "not JSON"),
    ('{"machine": {}}', "no 'benchmarks' object"),
    ('{"benchmarks": {"bench_a": {"figures": {"x": {"value": "fast", "better": "higher"}}}}}',
     "benchmarks.bench_a.figures.x.value: must be a finite number"),
    ('{"benchmarks": {"bench_a": {"figures": {"x": {"value": 1, "better": "up"}}}}}',
     "benchmarks.bench_a.figures.x.better: must be 'lower' or 'higher'"),
])
def test_a_bad_file_is_a_one_line_error_naming_it(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = bench_json(tmp_path / "good.json", {"bench_a": {"rate": (1, "higher")}})
    done = run_compare(str(good), str(bad))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "bad.json" in done.stderr and message in done.stderr, done.stderr
    assert run_compare(str(good), str(tmp_path / "missing.json")).returncode == 2


names = st.sampled_from([f"bench_{b}" for b in "ab"]).flatmap(
    lambda bench: st.tuples(st.just(bench), st.sampled_from(["rate", "p99", "size", "wall"])))
figure_sets = st.dictionaries(names, st.tuples(st.floats(0, 1e9), st.sampled_from(compare.BETTER)), max_size=8)


@settings(max_examples=200, deadline=None)
@given(figure_sets, figure_sets, st.floats(0, 1))
def test_compare_judges_every_figure_the_way_it_is_defined(old_set, new_set, threshold):
    def flat(figs):
        return {f"{b}/{n}": {"value": v, "unit": "u", "better": better} for (b, n), (v, better) in figs.items()}

    old, new = flat(old_set), flat(new_set)
    rows = compare.compare(old, new, threshold)
    assert [r.key for r in rows] == sorted(old.keys() | new.keys())  # every figure, once, in order
    for row in rows:
        a, b = old.get(row.key), new.get(row.key)
        if a is None or b is None:
            assert row.status == ("only in OLD" if b is None else "only in NEW")
            continue
        better = b["better"]
        got_worse = (a["value"] - b["value"]) if better == "higher" else (b["value"] - a["value"])
        limit = threshold * a["value"]
        assert (row.status == "REGRESSION") == (got_worse > limit or (a["value"] == 0 and got_worse > 0))
        if row.ratio is not None and row.status != "REGRESSION" and a["value"] > 0 and b["value"] > 0:
            # Not worse by more than the threshold, in the figure's own terms, seen as the oriented ratio.
            assert row.ratio >= (1 - threshold if better == "higher" else 1 / (1 + threshold)) - 1e-9
    assert set(compare.regressed(rows)) == {r for r in rows if r.status == "REGRESSION"}
    assert compare.render(rows).count("\n") == len(rows)


# -- run_all.py ---------------------------------------------------------------------------------------
def test_run_all_runs_one_cheap_bench_and_writes_its_figures(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "run_all.py"), "--out", str(out),
                           "--only", "bench_book", "--args", "bench_book=--ops 2000 --no-venue"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[1/1] bench_book" in done.stdout
    data = json.loads(out.read_text())
    assert {"cpu_count", "python", "git_commit"} <= data["machine"].keys()
    entry = data["benchmarks"]["bench_book"]
    assert entry["rc"] == 0 and entry["wall_s"] > 0 and entry["max_rss_mib"] > 0
    rate = entry["figures"]["orderbook.overall_ops_per_s"]
    assert rate["better"] == "higher" and rate["value"] > 0
    assert "overall" in Path(entry["log"]).read_text()
    # The file compares with itself: no regression.
    assert run_compare(str(out), str(out)).returncode == 0


def test_run_all_refuses_an_unknown_benchmark_name(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "loadtests" / "benchmarks" / "run_all.py"), "--out",
                           str(tmp_path / "b.json"), "--only", "bench_nope"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "no benchmark named bench_nope" in done.stderr

"""reports.suite: Student-t and Wilson intervals, the per-scenario summary, and the written files."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from reports.suite import format_value, summarise, t_interval, wilson_interval, write_suite

T_975_DF4 = 2.7764451051977987  # Student-t 97.5% quantile, 4 degrees of freedom (tables)


def test_t_interval_of_one_to_five():
    out = t_interval([1, 2, 3, 4, 5])
    half = T_975_DF4 * math.sqrt(2.5) / math.sqrt(5)
    assert out["n"] == 5 and out["mean"] == 3.0 and out["std"] == pytest.approx(math.sqrt(2.5))
    assert out["half_width"] == pytest.approx(half)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((3 - half, 3 + half))


def test_t_interval_drops_missing_values_and_handles_tiny_samples():
    assert t_interval([None, float("nan"), 2.0, 4.0])["n"] == 2
    one = t_interval([7.0, None])
    assert one["mean"] == 7.0 and one["ci_low"] is None and one["half_width"] is None
    assert t_interval([])["mean"] is None
    same = t_interval([2.5] * 4)
    assert same["ci_low"] == same["ci_high"] == 2.5


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), min_size=2, max_size=50))
def test_the_interval_always_holds_the_mean(values):
    out = t_interval(values)
    assert out["ci_low"] <= out["mean"] + 1e-6 * (1 + abs(out["mean"]))
    assert out["mean"] <= out["ci_high"] + 1e-6 * (1 + abs(out["mean"]))


@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=2, max_size=20))
def test_a_floor_cuts_only_an_interval_reaching_below_it_and_says_so(values):
    free, cut = t_interval(values), t_interval(values, floor=0.0)
    assert cut["ci_high"] == free["ci_high"] and cut["mean"] == free["mean"]
    if free["ci_low"] < 0:
        assert (cut["ci_low"], cut["cut_at"]) == (0.0, 0.0)
    else:
        assert (cut["ci_low"], cut["cut_at"]) == (free["ci_low"], None)


def test_two_far_apart_wall_times_do_not_give_a_negative_interval():
    walls = summarise(pd.DataFrame({"scenario": ["s", "s"], "scenario_file": ["s.yaml"] * 2, "seed": [1, 2],
                                    "fingerprint": ["a", "b"], "invariants_ok": [True, True],
                                    "first_violation": ["", ""], "wall_s": [1.0, 9.0]}), ["wall_s"])
    st_ = walls["scenarios"]["s"]["figures"]["wall_s"]
    assert st_["ci_low"] == 0.0 and st_["cut_at"] == 0.0 and st_["ci_high"] > 9.0  # t(0.975, 1) = 12.7


def test_wilson_interval_is_inside_zero_one_even_at_the_ends():
    all_ok = wilson_interval(20, 20)
    assert all_ok["rate"] == 1.0 and 0.8 < all_ok["ci_low"] < 1.0 and all_ok["ci_high"] == pytest.approx(1.0)
    none_ok = wilson_interval(0, 10)
    assert none_ok["ci_low"] == pytest.approx(0.0) and 0 < none_ok["ci_high"] < 0.35
    assert wilson_interval(0, 0)["rate"] is None


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "scenario": ["a", "a", "a", "b"],
        "scenario_file": ["a.yaml"] * 3 + ["b.yaml"],
        "seed": [1, 2, 3, 1],
        "fingerprint": ["f1", "f2", "", "g1"],
        "invariants_ok": [True, False, False, True],
        "first_violation": ["", "every_order_terminal: order X open", "", ""],
        "error": ["", "", "RuntimeError: boom", ""],
        "fill_rate": [0.5, 0.7, None, 0.9],
        "wall_s": [1.0, 2.0, None, 3.0],
    })


def test_summary_per_scenario_with_failures_and_how_to_reproduce_them():
    summary = summarise(_frame(), ["fill_rate", "wall_s", "absent"])
    a, b = summary["scenarios"]["a"], summary["scenarios"]["b"]
    assert summary["runs"] == 4 and summary["confidence"] == 0.95 and "Student-t" in summary["method"]
    assert a["runs"] == 3 and a["seeds"] == [1, 3] and a["distinct_fingerprints"] == 2
    assert a["invariants_pass_rate"]["k"] == 1 and a["invariants_pass_rate"]["n"] == 3
    assert [(f["seed"], f["problem"], f["reproduce"]) for f in a["failures"]] == [
        (2, "every_order_terminal: order X open", "twin run a.yaml --seed 2"),
        (3, "RuntimeError: boom", "twin run a.yaml --seed 3")]
    assert a["figures"]["fill_rate"]["n"] == 2 and a["figures"]["fill_rate"]["mean"] == pytest.approx(0.6)
    assert a["figures"]["absent"]["n"] == 0
    assert b["failures"] == [] and b["figures"]["wall_s"]["mean"] == 3.0


def test_written_files_carry_the_rows_and_the_intervals(tmp_path):
    frame = _frame()
    summary = summarise(frame, ["fill_rate", "wall_s"])
    paths = write_suite(frame, summary, tmp_path)
    assert pd.read_parquet(paths["runs"])["seed"].tolist() == [1, 2, 3, 1]
    assert json.loads(paths["summary"].read_text())["scenarios"]["a"]["figures"]["wall_s"]["mean"] == 1.5
    html = paths["html"].read_text()
    assert "twin run a.yaml --seed 3" in html and "fill rate (filled / ordered shares)" in html
    assert html.count("data:image/png;base64,") == 4  # two plots per scenario


@pytest.mark.parametrize("value, text", [(None, "-"), (float("nan"), "-"), (0, "0"), (0.123456, "0.1235"),
                                         (12.3456, "12.35"), (1234567.8, "1,234,568"), (-2500.0, "-2,500")])
def test_format_value(value, text):
    assert format_value(value) == text


def test_two_files_with_one_scenario_name_are_never_pooled():
    frame = _frame()
    frame["scenario"] = "same"
    summary = summarise(frame, ["wall_s"])
    assert list(summary["scenarios"]) == ["same (a.yaml)", "same (b.yaml)"]
    assert summary["scenarios"]["same (a.yaml)"]["runs"] == 3

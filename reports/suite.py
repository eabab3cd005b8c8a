"""A suite's statistics and files: 95% confidence intervals across seeds, runs.parquet,
suite_summary.json and suite.html.

The input is the suite's frame, one row per run (``twin.suite``): identity
(scenario, seed, fingerprint), the invariant verdict, and numeric figures.
For each scenario and each figure the summary gives the mean over its runs and
a two-sided 95% Student-t interval, ``mean ± t(0.975, n-1) · s / sqrt(n)``
with ``s`` the sample standard deviation (scipy.stats.t). It is an interval
for the *expected value of that figure over seeds* (the scenario's long-run
average), not a range that 95% of single runs fall in. Runs in which a figure
is missing (a segment no order reached, a run that raised) are left out of
that figure's ``n``. The invariant pass rate is a proportion, for which a
t-interval is poor at 0 or 100%: it gets a Wilson score interval instead
(scipy.stats.binomtest). The suite's figures cannot be negative (counts, rates, notional, latencies,
times): an interval reaching below 0 (a few seeds far apart: t(0.975, 1) is 12.7) is cut at 0 and
says so (``cut_at``), rather than showing an impossible negative wall time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from scipy import stats

from .html import _environment, figure_to_data_uri
from .latency import BUDGETS_MS, PERCENTILES, SEGMENTS
from .plots import new_figure, _integer_axis, _none_note, latency_vs_budget

CONFIDENCE = 0.95
METHOD = ("mean ± t(0.975, n-1)·s/√n over the runs (Student-t, scipy.stats.t); invariant pass rate: "
          "Wilson score interval (scipy.stats.binomtest)")
RUNS_FILE = "runs.parquet"
SUMMARY_FILE = "suite_summary.json"
HTML_FILE = "suite.html"
TEMPLATE_NAME = "suite.html.j2"


def t_interval(values: Sequence[float] | pd.Series, confidence: float = CONFIDENCE,
               floor: float | None = None) -> dict[str, Any]:
    """n, mean, std (sample), and the two-sided Student-t interval for the mean of ``values``.

    Missing values (None, NaN) are dropped. With no value every number is None; with one value the
    mean is that value and the interval is None (one run says nothing about the spread); identical
    values give a zero-width interval. ``floor``: the least the figure can be; an interval reaching
    below it is cut there and ``cut_at`` says so (None when it was not cut).
    """
    data = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").dropna().astype("float64")
    n = int(data.size)
    out: dict[str, Any] = {"n": n, "mean": None, "std": None, "ci_low": None, "ci_high": None, "half_width": None,
                           "cut_at": None}
    if n == 0:
        return out
    mean = float(data.mean())
    out["mean"] = mean
    if n == 1:
        return out
    std = float(data.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * std / math.sqrt(n))
    out.update(std=std, half_width=half, ci_low=mean - half, ci_high=mean + half)
    if floor is not None and out["ci_low"] < floor:
        out.update(ci_low=floor, cut_at=floor)
    return out


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """k, n, rate and the Wilson score interval of a proportion (None when ``n`` is 0)."""
    if n == 0:
        return {"k": 0, "n": 0, "rate": None, "ci_low": None, "ci_high": None}
    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return {"k": int(successes), "n": int(n), "rate": successes / n, "ci_low": float(ci.low),
            "ci_high": float(ci.high)}


def reproduce(scenario_file: str, seed: int) -> str:
    """The command that reruns one run alone, with its run folder and report."""
    return f"twin run {scenario_file} --seed {int(seed)}"


def scenario_groups(runs: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The runs of each scenario file, in order of first appearance, keyed by scenario name (name and file
    when two files share a name, so they are never pooled)."""
    pairs = list(dict.fromkeys(zip(runs["scenario"].astype(str), runs["scenario_file"].astype(str))))
    names = [name for name, _ in pairs]
    return {(name if names.count(name) == 1 else f"{name} ({file})"):
            runs[(runs["scenario"] == name) & (runs["scenario_file"] == file)] for name, file in pairs}


def summarise(runs: pd.DataFrame, figures: Sequence[str]) -> dict[str, Any]:
    """The suite summary (JSON-able): per scenario, its runs, failures (with the command to reproduce
    each), the invariant pass rate with its Wilson interval, distinct fingerprints, and every figure in
    ``figures`` with its t-interval (``t_interval``). Scenarios in the order they first appear."""
    scenarios: dict[str, Any] = {}
    for name, rows in scenario_groups(runs).items():
        ok = rows["invariants_ok"].astype(bool)
        errors = rows["error"].fillna("").astype(str) if "error" in rows else pd.Series("", index=rows.index)
        failures = [
            {"seed": int(r.seed), "problem": errors[i] or str(r.first_violation),
             "reproduce": reproduce(str(r.scenario_file), int(r.seed))}
            for i, r in rows.iterrows() if not ok[i] or errors[i]
        ]
        seeds = rows["seed"].astype(int)
        scenarios[str(name)] = {
            "runs": int(len(rows)),
            "seeds": [int(seeds.min()), int(seeds.max())],
            "distinct_fingerprints": int(rows["fingerprint"].replace("", np.nan).dropna().nunique()),
            "invariants_pass_rate": wilson_interval(int(ok.sum()), int(len(rows))),
            "failures": failures,
            # every suite figure is a count, rate, amount or time: none below 0 (module docstring)
            "figures": {f: t_interval(rows[f] if f in rows else [], floor=0.0) for f in figures},
        }
    return {"confidence": CONFIDENCE, "method": METHOD, "runs": int(len(runs)), "scenarios": scenarios}


def write_suite(runs: pd.DataFrame, summary: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """Write ``runs.parquet``, ``suite_summary.json`` and ``suite.html`` into ``out_dir``; their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"runs": out / RUNS_FILE, "summary": out / SUMMARY_FILE, "html": out / HTML_FILE}
    runs.to_parquet(paths["runs"], index=False)
    paths["summary"].write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    images = []
    for name, rows in scenario_groups(runs).items():
        section = summary["scenarios"][name]
        images.append({"scenario": name, "plots": [
            {"title": "Latency per segment across seeds", "src": figure_to_data_uri(plot_latency_ci(section))},
            {"title": "Figures across seeds", "src": figure_to_data_uri(plot_spread(rows, section))},
        ]})
    html = _environment().get_template(TEMPLATE_NAME).render(summary=summary, images=images, fmt=format_value,
                                                             label=figure_label)
    paths["html"].write_text(html, encoding="utf-8")
    return paths


FIGURE_LABELS: dict[str, str] = {
    "orders": "orders",
    "fill_rate": "fill rate (filled / ordered shares)",
    "filled_notional_usd": "filled notional (USD)",
    "events": "events in the log",
    "wall_s": "wall time per run (s)",
    "cpu_s": "CPU time per run (s)",
    **{f"{s}_{p}_ms": f"{s} latency {p} (ms)" for s in SEGMENTS for p, _ in PERCENTILES},
}
"""Readable names of the figures; an ``orders_STATUS`` column reads as "orders ending STATUS"."""


def figure_label(column: str) -> str:
    if column.startswith("orders_"):
        return f"orders ending {column.removeprefix('orders_')}"
    return FIGURE_LABELS.get(column, column)


def format_value(value: Any) -> str:
    """Four significant figures with thousands separators, or "-" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(value)
    if value == 0 or abs(value) >= 1000:
        return f"{value:,.0f}" if abs(value) >= 1000 else "0"
    return f"{value:.4g}"


def plot_latency_ci(section: dict[str, Any]) -> Figure:
    """Mean p50/p95/p99 per segment across seeds with their 95% intervals as error bars, and the budgets."""
    figures = section["figures"]
    segments = [s for s in SEGMENTS if figures.get(f"{s}_p50_ms", {}).get("n")]
    stats_ = {name: [figures[f"{s}_{name}_ms"] for s in segments] for name, _ in PERCENTILES}
    return latency_vs_budget("Latency per segment (ms): mean over seeds, 95% interval", segments,
                             {name: [st["mean"] or 0.0 for st in rows] for name, rows in stats_.items()},
                             [BUDGETS_MS[s] for s in segments],
                             errors={name: [st["half_width"] or 0.0 for st in rows] for name, rows in stats_.items()},
                             label="{} (mean)")


SPREAD_FIGURES: tuple[str, ...] = ("fill_rate", "filled_notional_usd", "orders_SETTLED", "wall_s")
"""The figures drawn one value per seed, with the mean and its interval."""


def plot_spread(rows: pd.DataFrame, section: dict[str, Any]) -> Figure:
    """One panel per figure of ``SPREAD_FIGURES``: the value of every run against its seed, the mean
    (line) and the 95% interval of the mean (band), so the spread between seeds and the width of the
    interval can be compared at a glance."""
    fig = new_figure(10.0, 6.0)
    axes = fig.subplots(2, 2).ravel()
    for ax, column in zip(axes, SPREAD_FIGURES):
        stat = section["figures"].get(column) or {}
        label = figure_label(column)
        values = pd.to_numeric(rows.get(column), errors="coerce") if column in rows else None
        if values is None or not stat.get("n"):
            _none_note(ax, label)
            continue
        ax.plot(rows["seed"].astype(int), values.astype("float64"), "o", markersize=3, color="#4c72b0",
                label="one run")
        ax.axhline(stat["mean"], color="black", linewidth=1, label="mean")
        if stat.get("half_width") is not None:
            ax.axhspan(stat["ci_low"], stat["ci_high"], color="#dd8452", alpha=0.35, label="95% interval of mean")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("seed")
        _integer_axis(ax.xaxis)
        if float(values.abs().max()) >= 1000:  # whole numbers with separators, not a "1e6" offset
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
        ax.set_ylabel(label.split(" (")[0])
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig

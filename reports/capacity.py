"""The capacity report: latency and utilisation against load, the knee, the recommendation, the load test.

``write_capacity_report(path, summary, result)`` renders ``capacity.html.j2`` from a sweep's
summary (one row per rate: means over the seeds and their ``_ci95`` half-widths, as
``twin.capacity.summarise`` makes it) and the ``capacity.json`` result (knees, bottleneck,
recommendation, load-test comparison). Plots, PNGs embedded so the file travels alone:

* latency against load, one panel per path segment: p50/p95/p99 (with the 95% CI band over
  seeds) and the blueprint's p50 and p99 budgets as lines, the segment's service's knee and
  the bottleneck's knee as vertical lines;
* utilisation of every service against load, the knee threshold drawn;
* given load tests: the twin's predicted and locust's measured p95 (and throughput) against
  users on the same axes, with the prediction error written in the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

from .html import figure_to_data_uri
from .latency import BUDGETS_MS, SEGMENTS
from .plots import new_figure, plain_log_labels

TEMPLATE = "capacity.html.j2"
SERVICE_OF_SEGMENT = {"gateway": "gateway", "oms": "oms", "risk": "risk", "routing": "router"}
_PCT = (("p50", "#4c72b0"), ("p95", "#dd8452"), ("p99", "#c44e52"))


def _knee_of(result: Mapping[str, Any], service: str) -> float | None:
    return next((k["knee_rate"] for k in result.get("knees", []) if k["service"] == service), None)


def plot_latency_vs_load(summary: pd.DataFrame, result: Mapping[str, Any]) -> Figure:
    """One panel per segment: percentiles against the arrival rate, budgets and knees marked."""
    fig = new_figure(10.0, 7.0)
    rows = summary.sort_values("rate_per_s")
    rates = rows["rate_per_s"].to_numpy(dtype=float)
    bottleneck = result.get("bottleneck")
    bottleneck_knee = _knee_of(result, bottleneck) if bottleneck else None
    for i, segment in enumerate(SEGMENTS):
        ax = fig.add_subplot(2, 2, i + 1)
        for name, colour in _PCT:
            column = f"{segment}_{name}_ms"
            values = rows[column].to_numpy(dtype=float)
            ax.plot(rates, values, marker="o", color=colour, label=name)
            ci = rows.get(f"{column}_ci95")
            if ci is not None and np.nansum(ci.to_numpy(dtype=float)) > 0:
                half = ci.to_numpy(dtype=float)
                ax.fill_between(rates, values - half, values + half, color=colour, alpha=0.15)
        budget_p50, budget_p99 = BUDGETS_MS[segment]
        ax.axhline(budget_p50, color="#4c72b0", linestyle=":", label=f"budget p50 {budget_p50} ms")
        ax.axhline(budget_p99, color="#c44e52", linestyle=":", label=f"budget p99 {budget_p99} ms")
        own = _knee_of(result, SERVICE_OF_SEGMENT[segment])
        if own is not None and rates.size and own <= rates.max() * 1.5:
            ax.axvline(own, color="#555555", linestyle="--", label=f"{SERVICE_OF_SEGMENT[segment]} knee {own:.1f}/s")
        if bottleneck_knee is not None and bottleneck != SERVICE_OF_SEGMENT[segment] \
                and rates.size and bottleneck_knee <= rates.max() * 1.5:
            ax.axvline(bottleneck_knee, color="#8c2d04", linestyle="-.", label=f"bottleneck ({bottleneck}) knee")
        ax.set_yscale("log")
        plain_log_labels(ax.yaxis, minor=True)  # 4, 10, 200 rather than 4x10^0 on a log axis
        ax.set_title(f"{segment}")
        ax.set_xlabel("arrival rate (client orders/s)")
        ax.set_ylabel("latency (ms, log scale)")
        ax.legend(fontsize=6, loc="upper left")
    fig.suptitle("Latency per path segment against load")
    fig.tight_layout()
    return fig


def plot_utilisation(summary: pd.DataFrame, result: Mapping[str, Any], knee_at: float = 0.8) -> Figure:
    """Utilisation of every service against the arrival rate; the knee threshold and the bottleneck's knee."""
    fig = new_figure(8.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    rows = summary.sort_values("rate_per_s")
    rates = rows["rate_per_s"].to_numpy(dtype=float)
    for knee in result.get("knees", []):
        ax.plot(rates, rows[f"{knee['service']}_utilisation"].to_numpy(dtype=float), marker="o", label=knee["service"])
    ax.axhline(knee_at, color="#555555", linestyle=":", label=f"knee threshold {knee_at:.0%}")
    ax.axhline(1.0, color="#c44e52", linestyle=":", label="saturated")
    bottleneck = result.get("bottleneck")
    knee = _knee_of(result, bottleneck) if bottleneck else None
    if knee is not None:
        ax.axvline(knee, color="#8c2d04", linestyle="--", label=f"knee: {bottleneck} at {knee:.1f}/s")
    ax.set_xlabel("arrival rate (client orders/s)")
    ax.set_ylabel("utilisation (busy / (session x replicas))")
    ax.set_title("Utilisation per service against load")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_load_tests(load_tests: list[Mapping[str, Any]]) -> Figure:
    """Predicted (twin) and measured (locust) p95 and throughput against users, on the same axes."""
    fig = new_figure(9.0, 3.8)
    rows = sorted(load_tests, key=lambda r: r["users"])
    users = [r["users"] for r in rows]
    ax = fig.add_subplot(1, 2, 1)
    ax.plot(users, [r["measured_p95_ms"] for r in rows], marker="o", label="locust measured p95")
    ax.plot(users, [r["predicted_p95_ms"] for r in rows], marker="s", linestyle="--", label="twin predicted p95")
    for r in rows:  # the prediction error, where it is measured
        ax.annotate(f"{r['p95_error']:+.0%}", (r["users"], r["predicted_p95_ms"]), textcoords="offset points",
                    xytext=(6, -10), fontsize=8, color="#dd8452")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("locust users")
    ax.set_ylabel("p95 response time (ms)")
    ax.set_title("p95: prediction vs load test")
    ax.legend(fontsize=7)
    ax = fig.add_subplot(1, 2, 2)
    ax.plot(users, [r["measured_rps"] for r in rows], marker="o", label="locust measured")
    ax.plot(users, [r["predicted_rps"] for r in rows], marker="s", linestyle="--", label="twin predicted")
    ax.set_xlabel("locust users")
    ax.set_ylim(bottom=0)
    ax.set_ylabel("requests/s")
    ax.set_title("Throughput: prediction vs load test")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _table(summary: pd.DataFrame, services: list[str]) -> list[dict[str, Any]]:
    out = []
    for _, row in summary.sort_values("rate_per_s").iterrows():
        out.append({
            "rate": row["rate_per_s"], "throughput": row["throughput_per_s"], "seeds": int(row["seeds"]),
            "segments": {s: (row[f"{s}_p95_ms"], row.get(f"{s}_p95_ms_ci95", 0.0), row[f"{s}_p99_ms"]) for s in SEGMENTS},
            "utilisation": {n: row[f"{n}_utilisation"] for n in services},
            "wait": {n: row[f"{n}_wait_ms"] for n in services},
        })
    return out


def write_capacity_report(path: Path, summary: pd.DataFrame, result: Mapping[str, Any]) -> Path:
    """Render the capacity report to ``path`` (see the module docstring); returns the path."""
    services = [k["service"] for k in result.get("knees", [])]
    plots = {"latency": figure_to_data_uri(plot_latency_vs_load(summary, result)),
             "utilisation": figure_to_data_uri(plot_utilisation(summary, result))}
    if result.get("load_tests"):
        plots["load_tests"] = figure_to_data_uri(plot_load_tests(result["load_tests"]))
    env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    html = env.get_template(TEMPLATE).render(result=result, rows=_table(summary, services), services=services,
                                             segments=SEGMENTS, budgets=BUDGETS_MS, plots=plots)
    path.write_text(html, encoding="utf-8")
    return path

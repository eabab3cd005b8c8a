"""The realism page: stylised facts of several days side by side (``twin realism``).

``realism_report(sources)`` computes ``stylized_facts.day_facts`` for each
``realism_sources.DaySource`` and returns the JSON-able report
(``realism.json``); ``write_realism`` writes it and the HTML page
(``templates/realism.html.j2``): one table with a column per source and five
plots (return ACF, absolute-return ACF, standardised 1-minute return
histogram against the normal density, intraday volume and volatility
profiles). matplotlib is imported here, so only the command that draws pays
for it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable

import numpy as np

from components.domain.money import PRICE_SCALE

from .html import _environment, figure_to_data_uri
from .plots import new_figure, _none_note, plain_log_labels
from .realism_sources import DaySource
from .stylized_facts import U_SHAPE_MIN_RATIO, day_facts

TEMPLATE_NAME = "realism.html.j2"
JSON_NAME = "realism.json"


def realism_report(sources: list[DaySource]) -> dict[str, Any]:
    """``{"sources": [{label, kind, path, symbol, notes, facts}, ...]}``, labels unique (folder names)."""
    labels: list[str] = []
    for s in sources:
        label = s.path.name or str(s.path)
        labels.append(label if label not in labels else f"{label} ({len(labels) + 1})")
    return {"u_shape_min_ratio": U_SHAPE_MIN_RATIO,
            "sources": [{"label": label, "kind": s.kind, "path": str(s.path), "symbol": s.symbol,
                         "notes": list(s.notes),
                         "facts": day_facts(s.book, s.tape, s.open_ns, s.close_ns, orders=s.orders)}
                        for label, s in zip(labels, sources)]}


def _num(v: Any, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.{digits}f}"


def _bps(v: float | None) -> str:
    return "-" if v is None else f"{v * 1e4:,.2f}"


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _acf(f: dict, horizon: str, which: str, lag: int) -> str:
    values = f["returns"][horizon][which]["values"]
    return _num(values[lag - 1]) if len(values) >= lag else "-"


def _outside(f: dict, horizon: str, which: str) -> str:
    a = f["returns"][horizon][which]
    return "-" if a["band_95"] is None else f"{a['outside_band']} of {len(a['lags'])} (band ±{a['band_95']:.3f})"


def _moment_rows(horizon: str) -> list[tuple[str, Callable[[dict], str]]]:
    return [
        (f"{horizon} returns: count", lambda f: _num(f["returns"][horizon]["count"])),
        (f"{horizon} returns: std (bps)", lambda f: _bps(f["returns"][horizon]["std"])),
        (f"{horizon} returns: skewness", lambda f: _num(f["returns"][horizon]["skewness"])),
        (f"{horizon} returns: excess kurtosis", lambda f: _num(f["returns"][horizon]["excess_kurtosis"])),
        (f"{horizon} returns: share of zero returns", lambda f: _pct(f["returns"][horizon]["zero_fraction"])),
        (f"{horizon} return ACF lag 1", lambda f: _acf(f, horizon, "acf", 1)),
        (f"{horizon} return ACF lags 1-10 outside the 95% band", lambda f: _outside(f, horizon, "acf")),
        (f"{horizon} |return| ACF lag 1 / lag 10",
         lambda f: f"{_acf(f, horizon, 'abs_acf', 1)} / {_acf(f, horizon, 'abs_acf', 10)}"),
        (f"{horizon} |return| ACF lags outside the band", lambda f: _outside(f, horizon, "abs_acf")),
    ]


def _u(f: dict, profile: str) -> str:
    u = f["intraday"][f"{profile}_u"]
    if u["u_shaped"] is None:
        return "-"
    return (f"{u['first_over_median']:.2f}x / {u['last_over_median']:.2f}x "
            f"({'U-shaped' if u['u_shaped'] else 'not U-shaped'})")


ROWS: list[tuple[str, list[tuple[str, Callable[[dict], str]]]]] = [
    ("Day", [
        ("samples (1 s grid)", lambda f: _num(f["samples"])),
        ("two-sided share of samples", lambda f: _pct(f["two_sided_fraction"])),
        ("mid first / last ($)", lambda f: f"{_num(f['mid_first'], 2)} / {_num(f['mid_last'], 2)}"),
    ]),
    ("Returns of the mid", [row for h in ("1s", "1min", "5min") for row in _moment_rows(h)]),
    ("Spread and depth", [
        ("spread (ticks): median / mean / p95",
         lambda f: " / ".join(_num(f["spread_ticks"][k], 2) for k in ("p50", "mean", "p95"))),
        ("crossed / locked samples", lambda f: f"{f['crossed_samples']:,} / {f['locked_samples']:,}"),
        ("top depth (shares, bid + ask): median / mean / p95",
         lambda f: " / ".join(_num(f["top_depth"][k], 0) for k in ("p50", "mean", "p95"))),
    ]),
    ("Intraday profile (30-minute buckets)", [
        ("volume share first / last bucket",
         lambda f: f"{_pct(f['intraday']['volume_share'][0])} / {_pct(f['intraday']['volume_share'][-1])}"),
        ("volume first / last over median bucket", lambda f: _u(f, "volume")),
        ("volatility first / last over median bucket", lambda f: _u(f, "volatility")),
    ]),
    ("Trading", [
        ("trades / volume (shares)", lambda f: f"{_num(f['trades']['count'])} / {_num(f['trades']['volume'])}"),
        ("VWAP ($)", lambda f: _num(f["trades"]["vwap"], 4)),
        ("orders sent", lambda f: _num(f["trades"]["orders"])),
        ("order-to-trade ratio", lambda f: _num(f["order_to_trade"], 2)),
        ("top-of-book updates per trade", lambda f: _num(f["quote_updates_per_trade"], 2)),
    ]),
]


def table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The page's table: per section, rows of (label, one cell per source)."""
    facts = [s["facts"] for s in report["sources"]]
    return [{"title": title, "rows": [{"label": label, "cells": [fn(f) for f in facts]} for label, fn in rows]}
            for title, rows in ROWS]


# --- plots: one line or bar set per source -------------------------------------------------------------


def plot_acf(report: dict[str, Any], which: str, title: str):
    """1-minute ACF per source at lags 1..10, each with its 95% band (dotted)."""
    fig = new_figure(8.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    drawn = False
    for i, s in enumerate(report["sources"]):
        a = s["facts"]["returns"]["1min"][which]
        points = [(lag, v) for lag, v in zip(a["lags"], a["values"]) if v is not None]
        if not points:
            continue
        drawn = True
        colour = f"C{i % 10}"
        ax.plot(*zip(*points), marker="o", color=colour, label=s["label"])
        ax.axhline(a["band_95"], color=colour, linestyle=":", linewidth=1)
        ax.axhline(-a["band_95"], color=colour, linestyle=":", linewidth=1)
    if not drawn:
        _none_note(ax, title)
        return fig
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set(title=title + " (dotted: 95% band of an uncorrelated series)", xlabel="lag (minutes)", ylabel="ACF")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_return_histogram(report: dict[str, Any]):
    """Standardised 1-minute returns per source (density) against the standard normal density."""
    fig = new_figure(8.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    drawn = False
    for i, s in enumerate(report["sources"]):
        r = s["facts"]["returns"]["1min"]
        h = r["histogram"]
        if not h["counts"] or not r["std"]:
            continue
        drawn = True
        edges = (np.asarray(h["edges"]) - r["mean"]) / r["std"]
        counts = np.asarray(h["counts"], dtype=float)
        density = counts / counts.sum() / np.diff(edges)
        ax.step(edges[:-1], density, where="post", color=f"C{i % 10}", label=f"{s['label']} "
                f"(excess kurtosis {_num(r['excess_kurtosis'], 1)})")
    if not drawn:
        _none_note(ax, "1-minute returns")
        return fig
    z = np.linspace(-6, 6, 241)
    ax.plot(z, np.exp(-z * z / 2) / math.sqrt(2 * math.pi), color="black", linestyle="--", label="normal")
    ax.set_yscale("log")
    plain_log_labels(ax.yaxis)
    ax.set_ylim(1e-4, None)
    ax.set(title="1-minute returns, standardised (log scale: fat tails sit above the normal)",
           xlabel="return / std", ylabel="density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_profile(report: dict[str, Any], key: str, title: str, ylabel: str, scale: float = 1.0):
    """An intraday profile per source by 30-minute bucket (minutes from the open)."""
    fig = new_figure(8.0, 3.6)
    ax = fig.add_subplot(1, 1, 1)
    drawn = False
    for i, s in enumerate(report["sources"]):
        p = s["facts"]["intraday"]
        values = [None if v is None else v * scale for v in p[key]]
        if not any(values):
            continue
        drawn = True
        x = [j * p["bucket_minutes"] for j in range(len(values))]
        ax.plot(x, [math.nan if v is None else v for v in values], marker="o", color=f"C{i % 10}",
                label=s["label"])
    if not drawn:
        _none_note(ax, title)
        return fig
    ax.set(title=title, xlabel="minutes after the open (bucket start)", ylabel=ylabel)
    ax.set_ylim(0, None)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def write_realism(report: dict[str, Any], html_path: Path) -> tuple[Path, Path]:
    """Write the page at ``html_path`` and ``realism.json`` beside it; returns both paths."""
    html_path.parent.mkdir(parents=True, exist_ok=True)
    json_path = html_path.parent / JSON_NAME
    json_path.write_text(json.dumps(report, indent=1, allow_nan=False))
    plots = [
        ("Return autocorrelation", plot_acf(report, "acf", "1-minute return ACF")),
        ("Volatility clustering", plot_acf(report, "abs_acf", "1-minute |return| ACF")),
        ("Return distribution", plot_return_histogram(report)),
        ("Intraday volume", plot_profile(report, "volume_share", "Volume share per 30 minutes",
                                         "share of the day's volume (%)", 100.0)),
        ("Intraday volatility", plot_profile(report, "volatility_bps", "Volatility per 30 minutes "
                                             "(RMS of 1-minute returns)", "bps")),
    ]
    images = [{"title": title, "src": figure_to_data_uri(fig)} for title, fig in plots]
    html = _environment().get_template(TEMPLATE_NAME).render(
        report=report, sections=table(report), images=images, price_scale=PRICE_SCALE, json_name=JSON_NAME)
    html_path.write_text(html)
    return html_path, json_path

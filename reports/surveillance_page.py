"""The backtest page of ``twin surveil-backtest``: ``surveillance.html``, self-contained (tables, sweep, plot).

A rate that measured nothing (null in the result: precision without alerts, recall without labels) shows "n/a".
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Mapping

from .html import figure_to_data_uri
from .surveillance import plot_precision_recall

PAGE_NAME = "surveillance.html"


_COLUMNS = ("threshold", "alerts", "tp", "fp", "fn", "precision", "recall", "f1", "alerts_per_10k_orders")


def _cell(value: Any) -> str:
    """One table value: "n/a" for an undefined rate (None), "-" for a missing column."""
    return "n/a" if value is None else html.escape(str(value))


def _table(patterns: Mapping[str, Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in ("pattern", *_COLUMNS))
    rows = "".join("<tr><td>" + html.escape(name) + "</td>" + "".join(f"<td class=num>{_cell(p.get(c, '-'))}</td>"
                                                                      for c in _COLUMNS) + "</tr>"
                   for name, p in patterns.items())
    return f"<table><tr>{head}</tr>{rows}</table>"


def _sweep_tables(patterns: Mapping[str, Mapping[str, Any]]) -> str:
    parts = []
    for name, p in patterns.items():
        rows = "".join(f"<tr><td class=num>{pt['threshold']:g}</td><td class=num>{pt['alerts']}</td>"
                       + "".join(f"<td class=num>{_cell(pt[c])}</td>" for c in ("precision", "recall", "f1"))
                       + "</tr>" for pt in p.get("sweep") or [])
        parts.append(f"<h3>{html.escape(name)}</h3><table><tr><th>threshold</th><th>alerts</th><th>precision</th>"
                     f"<th>recall</th><th>f1</th></tr>{rows}</table>")
    return "".join(parts)


def write_backtest_page(result: Mapping[str, Any], out_dir: str | Path) -> Path:
    """Write ``out_dir/surveillance.html`` for a backtest result (``twin.cli_surveil``); its path."""
    out_dir = Path(out_dir)
    sections = []
    for key, label in (("default", "Default thresholds"), ("tuned", "Tuned thresholds")):
        r = result.get(key)
        if not r:
            continue
        img = figure_to_data_uri(plot_precision_recall(r["patterns"], f"{label}: precision-recall sweep"))
        sections.append(
            f"<h2>{label} (seeds {', '.join(map(str, r['seeds']))})</h2>"
            f"<p>{r['orders']} orders, {r['events']} events, {r['labels']} labelled episodes scored, "
            f"{r['refused_episodes']} partly refused by pre-trade risk (not scored; alerts on them count neither way). "
            f"Cases: {r['cases']} ({', '.join(f'{k} {v}' for k, v in r['case_funnel'].items())}).</p>"
            f"{_table(r['patterns'])}<div class=plot><img alt='precision-recall' src='{img}'></div>"
            f"<details><summary>Threshold sweeps</summary>{_sweep_tables(r['patterns'])}</details>")
    if "tuning" in result:
        t = result["tuning"]
        sections.append(f"<h2>Tuning</h2><p>Thresholds chosen by F1 on seeds {t['train_seeds']}: "
                        f"{html.escape(str(t['thresholds']))}</p>")
    page = (f"<!doctype html><html><head><meta charset=utf-8><title>Surveillance backtest: "
            f"{html.escape(str(result.get('scenario', '')))}</title><style>body{{font-family:sans-serif;margin:2em}}"
            f"table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:3px 8px}}.num{{text-align:right}}"
            f"</style></head><body><h1>Surveillance backtest: {html.escape(str(result.get('scenario', '')))}</h1>"
            f"<p>Precision counts alerts that match a labelled episode; recall counts episodes with a matching alert; "
            f"fn = episodes missed; n/a = nothing to measure (no alerts, or no labelled episodes). "
            f"See docs/surveillance.md.</p>{''.join(sections)}</body></html>")
    path = out_dir / PAGE_NAME
    path.write_text(page, encoding="utf-8")
    return path

"""Assemble the self-contained ``report.html`` of a run.

The page is rendered from ``templates/report.html.j2`` (package data) with the
run summary's tables and the four plots of ``reports.plots`` embedded as
base64 PNG data URIs, so the single file can be mailed or attached to a ticket.
When the summary has a ``market_realism`` section (``reports.realism``) the
page also gets its table and one realism figure per symbol.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

from . import plots
from .summary import lifecycle_funnel

REPORT_NAME = "report.html"
TEMPLATE_NAME = "report.html.j2"


def figure_to_data_uri(fig: Figure) -> str:
    """PNG of ``fig`` as a ``data:image/png;base64,...`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)


def _bps(value: Any) -> str:
    return "-" if value is None else f"{float(value) * 10_000:,.2f}"


def write_report(
    summary: dict[str, Any],
    events: pd.DataFrame,
    orders: pd.DataFrame,
    out_dir: str | Path,
) -> Path:
    """Write ``out_dir/report.html`` for one run; returns its path.

    Tables come from ``summary`` (see ``reports.summary.build_summary``); the
    funnel is taken from ``summary["funnel"]`` or, if absent, computed from
    ``events``. ``orders`` supplies the order total when the summary has none.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    latency = summary.get("latency") or {}
    fills = summary.get("fills_by_venue") or {}
    blocks = summary.get("risk_blocks_by_reason") or {}
    funnel = summary.get("funnel") or lifecycle_funnel(events)
    counts = summary.get("order_counts") or {}
    total_orders = sum(counts.values()) if counts else (0 if orders is None else len(orders))

    figures = [
        ("Latency per segment", plots.plot_latency(latency)),
        ("Order lifecycle funnel", plots.plot_funnel(funnel)),
        ("Fills and fees by venue", plots.plot_fills_by_venue(fills)),
        ("Risk blocks by reason", plots.plot_risk_blocks(blocks)),
    ]
    images = [{"title": title, "src": figure_to_data_uri(fig)} for title, fig in figures]
    realism = summary.get("market_realism") or {}
    realism_images = [
        {"title": f"Market realism: {symbol}", "src": figure_to_data_uri(plots.plot_market_realism(
            symbol, section, realism.get("source", "simulated")))}
        for symbol, section in (realism.get("symbols") or {}).items()
    ]

    html = _environment().get_template(TEMPLATE_NAME).render(
        s=summary,
        invariants=summary.get("invariants") or [],
        counts=counts,
        total_orders=total_orders,
        latency=latency,
        fills=fills,
        blocks=blocks,
        funnel=funnel,
        extra=summary.get("extra") or {},
        images=images,
        realism=realism,
        realism_images=realism_images,
        fmt=_fmt,
        bps=_bps,
    )
    path = out_dir / REPORT_NAME
    path.write_text(html, encoding="utf-8")
    return path

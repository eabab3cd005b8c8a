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
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine

from components.domain.events import EventType

from . import plots, slo_plots
from .summary import lifecycle_funnel
from . import tca as tca_report
from . import surveillance
from . import timeseries

REPORT_NAME = "report.html"
TEMPLATE_NAME = "report.html.j2"


def figure_to_data_uri(fig: Figure) -> str:
    """PNG of ``fig`` as a ``data:image/png;base64,...`` URI."""
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # What ``fig.tight_layout()`` leaves behind; savefig would lay the figure out again in a whole
        # draw pass before the real one, for the same pixels (tests/unit/reports/test_report_figures.py).
        fig.set_layout_engine(None)
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


def _num(value: Any) -> str:
    """A count with thousands separators (``12,345``); anything else as ``_fmt`` prints it."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else _fmt(value)


def _money(value: Any) -> str:
    """A decimal dollar string with thousands separators, exact (``1234567.8900`` -> ``1,234,567.8900``)."""
    if value is None or value == "":
        return "-"
    try:
        return f"{Decimal(str(value)):,}"
    except InvalidOperation:
        return str(value)


def _trade_dates(events: pd.DataFrame | None) -> str:
    """The trade date(s) of the run: the New York dates of its first and last order receipt (of its first
    and last event when it has no order), so settlement on T+1 does not make a one-day run two days."""
    if events is None or events.empty or "timestamp_utc" not in events.columns:
        return ""
    received = events
    if "event_type" in events.columns:
        received = events[events["event_type"].astype(str) == EventType.ORDER_RECEIVED.value]
    chosen = received if len(received) else events
    stamps = pd.to_datetime(chosen["timestamp_utc"].astype("int64"), unit="ns", utc=True)
    first, last = (t.tz_convert("America/New_York").date().isoformat() for t in (stamps.min(), stamps.max()))
    return first if first == last else f"{first} to {last}"


def _funnel_notes(funnel: dict[str, Any], counts: dict[str, int]) -> list[str]:
    """Why an exit in the funnel can exceed the same status in the final-status table.

    The funnel counts every order that had an OrderCanceled (OrderExpired) event; an order
    canceled (expired) after a partial fill still allocates, confirms and settles its filled
    part (components/domain/lifecycle.py), so its final status is a later one."""
    notes = []
    for status, verb in (("CANCELED", "canceled"), ("EXPIRED", "expired")):
        moved_on = int((funnel.get("exits") or {}).get(status, 0)) - int(counts.get(status, 0))
        if counts and moved_on > 0:
            notes.append(f"{status}: {_num(int(funnel['exits'][status]))} orders had their rest {verb}; "
                         f"{_num(moved_on)} of them were partly filled, so their filled part went on to "
                         f"allocation, confirmation and settlement and they end under a later status in "
                         f"\"Orders by final status\" ({status} there: {_num(int(counts.get(status, 0)))}).")
    return notes


def _bps(value: Any) -> str:
    return "-" if value is None else f"{float(value) * 10_000:,.2f}"


def _pct(value: Any) -> str:
    """A fraction as a percentage with one decimal (``0.1234`` -> ``12.3%``)."""
    return "-" if value is None else f"{float(value) * 100:,.1f}%"


def _surveillance_images(section: dict[str, Any] | None) -> list[dict[str, str]]:
    """The surveillance precision-recall plot, when the run had labelled bad actors (``reports.surveillance``)."""
    if not section or not section.get("scores"):
        return []
    fig = surveillance.plot_precision_recall(section["scores"], "Surveillance: precision-recall (this run's labels)")
    return [{"title": "Surveillance precision-recall", "src": figure_to_data_uri(fig)}]


def _aml_images(section: dict[str, Any] | None) -> list[dict[str, str]]:
    """The AML precision-recall plot per typology, for a run with money movement (``twin.aml_monitoring``)."""
    if not section or not section.get("pr_curves"):
        return []
    fig = surveillance.plot_precision_recall(section["pr_curves"], "AML: precision-recall by typology (this run's labels)")
    return [{"title": "AML precision-recall", "src": figure_to_data_uri(fig)}]


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

    slo = summary.get("slo") or {}  # twin.observability: budget burn and alerts over the run
    slo_images = [{"title": t, "src": figure_to_data_uri(f)} for t, f in (
        ("Error budget burned", slo_plots.plot_budget_burn(slo)),
        ("SLO alert timeline", slo_plots.plot_alert_timeline(slo)))] if slo else []
    tca = summary.get("tca") or {}
    tca_images = []
    if tca and (out_dir / tca_report.ORDERS_FILE).exists():
        tca_images = [{"title": "Execution quality by venue", "src": figure_to_data_uri(
            tca_report.plot_tca_by_venue(tca_report.read_tca_orders(out_dir, tca_report.PLOT_COLUMNS)))}]
    services = summary.get("services") or {}  # twin.service_timeseries: per-service table and series
    service_images = [{"title": t, "src": figure_to_data_uri(f)}
                      for t, f in timeseries.service_figures(services, events, out_dir)]

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
        tca=tca,
        tca_images=tca_images,
        services=services,
        service_images=service_images,
        surveillance=summary.get("surveillance") or {},
        surveillance_images=_surveillance_images(summary.get("surveillance")),
        aml=summary.get("aml") or {},
        aml_images=_aml_images(summary.get("aml")),
        slo=slo,
        slo_images=slo_images,
        fmt=_fmt,
        bps=_bps,
        pct=_pct,
        num=_num,
        money=_money,
        trade_date=_trade_dates(events),
        funnel_notes=_funnel_notes(funnel, counts),
    )
    path = out_dir / REPORT_NAME
    path.write_text(html, encoding="utf-8")
    return path

"""Assemble the self-contained ``report.html`` of a run.

The page is rendered from ``templates/report.html.j2`` (package data) with the
run summary's tables and the four plots of ``reports.plots`` embedded as
base64 PNG data URIs, so the single file can be mailed or attached to a ticket.
When the summary has a ``market_realism`` section (``reports.realism``) the
page also gets its table and one realism figure per symbol. The figures are drawn on the machine's
cores (``reports.figure_pool``), to the same PNG bytes as drawing them one after another.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from components.domain.events import EventType

from . import plots, slo_plots
from .figure_pool import FigureJob, render
from .figure_pool import figure_to_data_uri  # noqa: F401  (other pages import it from here)
from .summary import lifecycle_funnel
from . import tca as tca_report
from . import surveillance
from . import timeseries

REPORT_NAME = "report.html"
TEMPLATE_NAME = "report.html.j2"


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


def _surveillance_figures(section: dict[str, Any] | None) -> list[FigureJob]:
    """The surveillance precision-recall plot, when the run had labelled bad actors (``reports.surveillance``)."""
    if not section or not section.get("scores"):
        return []
    return [FigureJob("Surveillance precision-recall", surveillance.plot_precision_recall,
                      (section["scores"], "Surveillance: precision-recall (this run's labels)"))]


def _aml_figures(section: dict[str, Any] | None) -> list[FigureJob]:
    """The AML precision-recall plot per typology, for a run with money movement (``twin.aml_monitoring``)."""
    if not section or not section.get("pr_curves"):
        return []
    return [FigureJob("AML precision-recall", surveillance.plot_precision_recall,
                      (section["pr_curves"], "AML: precision-recall by typology (this run's labels)"))]


def write_report(
    summary: dict[str, Any],
    events: pd.DataFrame,
    orders: pd.DataFrame,
    out_dir: str | Path,
    workers: int | None = None,
) -> Path:
    """Write ``out_dir/report.html`` for one run; returns its path.

    Tables come from ``summary`` (see ``reports.summary.build_summary``); the
    funnel is taken from ``summary["funnel"]`` or, if absent, computed from
    ``events``. ``orders`` supplies the order total when the summary has none. ``workers``: how many
    processes draw the figures (``reports.figure_pool.pool_size``; 1 draws them in this process).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    latency = summary.get("latency") or {}
    fills = summary.get("fills_by_venue") or {}
    blocks = summary.get("risk_blocks_by_reason") or {}
    funnel = summary.get("funnel") or lifecycle_funnel(events)
    counts = summary.get("order_counts") or {}
    total_orders = sum(counts.values()) if counts else (0 if orders is None else len(orders))

    realism = summary.get("market_realism") or {}
    slo = summary.get("slo") or {}  # twin.observability: budget burn and alerts over the run
    tca = summary.get("tca") or {}
    services = summary.get("services") or {}  # twin.service_timeseries: per-service table and series
    # Every figure of the page, per section, built and drawn together on the machine's cores (figure_pool).
    sections: dict[str, list[FigureJob]] = {
        "images": [
            FigureJob("Latency per segment", plots.plot_latency, (latency,)),
            FigureJob("Order lifecycle funnel", plots.plot_funnel, (funnel,)),
            FigureJob("Fills and fees by venue", plots.plot_fills_by_venue, (fills,)),
            FigureJob("Risk blocks by reason", plots.plot_risk_blocks, (blocks,)),
        ],
        "realism_images": [
            FigureJob(f"Market realism: {symbol}", plots.plot_market_realism,
                      (symbol, section, realism.get("source", "simulated")))
            for symbol, section in (realism.get("symbols") or {}).items()
        ],
        "slo_images": [
            FigureJob("Error budget burned", slo_plots.plot_budget_burn, (slo,)),
            FigureJob("SLO alert timeline", slo_plots.plot_alert_timeline, (slo,)),
        ] if slo else [],
        "tca_images": [
            FigureJob("Execution quality by venue", tca_report.plot_tca_by_venue,
                      (tca_report.read_tca_orders(out_dir, tca_report.PLOT_COLUMNS),)),
        ] if tca and (out_dir / tca_report.ORDERS_FILE).exists() else [],
        "service_images": timeseries.service_figures(services, events, out_dir),
        "surveillance_images": _surveillance_figures(summary.get("surveillance")),
        "aml_images": _aml_figures(summary.get("aml")),
    }
    drawn = iter(render([job for jobs in sections.values() for job in jobs], workers))
    images = {name: [next(drawn) for _ in jobs] for name, jobs in sections.items()}

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
        realism=realism,
        tca=tca,
        services=services,
        surveillance=summary.get("surveillance") or {},
        aml=summary.get("aml") or {},
        slo=slo,
        **images,
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

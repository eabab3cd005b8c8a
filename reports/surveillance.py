"""Surveillance in reports: the backtest page (``twin surveil-backtest``) and the run report's section.

``plot_precision_recall`` draws one precision-recall curve per pattern from a
threshold sweep (the point at the threshold in force marked; a point with no
precision, i.e. no alerts, is left out rather than drawn at 1.0); ``run_section``
turns a run's alerts and case funnel (and scores, when the run has labels)
into the summary's ``surveillance`` section, which ``reports.html`` renders.
The backtest's own page is ``reports.surveillance_page``.
"""

from __future__ import annotations

from typing import Any, Mapping

from matplotlib.figure import Figure

from .plots import new_figure, _none_note


def plot_precision_recall(patterns: Mapping[str, Mapping[str, Any]], title: str = "Precision-recall by pattern"
                          ) -> Figure:
    """One curve per pattern over its sweep; the threshold in force is the larger dot.

    Only points where both rates were measured are drawn (labels, and at least one alert); a pattern whose
    threshold in force raised no alert has no dot, and its legend entry says so."""
    fig = new_figure(7.0, 5.0)
    ax = fig.add_subplot(1, 1, 1)
    drawn = False
    for name, p in patterns.items():
        sweep = [pt for pt in p.get("sweep") or [] if pt.get("labels") and _measured(pt)]
        if not sweep:
            continue
        drawn = True
        dot = _measured(p)
        line = ax.plot([pt["recall"] for pt in sweep], [pt["precision"] for pt in sweep], marker="o", markersize=3,
                       label=name if dot else f"{name} (no alerts at the threshold in force)")[0]
        if dot:
            ax.plot([p["recall"]], [p["precision"]], marker="o", markersize=9, color=line.get_color())
    if not drawn:
        _none_note(ax, title + " (no labels)")
        return fig
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left")
    return fig


def _measured(point: Mapping[str, Any]) -> bool:
    """Both rates defined (None = nothing measured: no alerts, or no labels)."""
    return point.get("precision") is not None and point.get("recall") is not None


def run_section(alerts_by_pattern: Mapping[str, int], funnel: Mapping[str, int], orders: int,
                scores: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """The summary's ``surveillance`` section of one run (plain JSON)."""
    return {"alerts_by_pattern": dict(alerts_by_pattern), "case_funnel": dict(funnel), "orders": orders,
            "alerts_per_10k_orders": {k: round(v * 10_000 / orders, 3) if orders else 0.0
                                      for k, v in alerts_by_pattern.items()},
            "scores": dict(scores) if scores else None}

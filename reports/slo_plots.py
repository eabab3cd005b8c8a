"""The report's SLO plots: error budget burned over the run, and the alert timeline.

Both take the summary's ``slo`` section (``twin.observability.slo_section``:
per SLO a ``burn`` curve of [time_s, fraction burned], and the alerts with
``start_s``/``end_s``) and return matplotlib Figures (the ``reports.plots``
helpers), drawing a "none" note when there is nothing to show.
"""

from __future__ import annotations

from typing import Any, Mapping

from matplotlib.figure import Figure

from .plots import new_figure, _none_note

_BUDGET_LINES = (0.5, 0.75, 0.9)


def _hours(t_s: float, t0: float) -> float:
    return (t_s - t0) / 3600


def _origin(section: Mapping[str, Any]) -> float:
    starts = [c[0][0] for s in section.get("slos", []) for c in [s.get("burn") or []] if c]
    return min(starts) if starts else 0.0


def plot_budget_burn(section: Mapping[str, Any]) -> Figure:
    """Per SLO: the fraction of its window's error budget burned, over simulated hours."""
    fig = new_figure(8.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    title = "Error budget burned (fraction of the SLO window's budget)"
    curves = [(s["name"], s["burn"]) for s in section.get("slos", []) if s.get("burn")]
    if not curves:
        _none_note(ax, title)
        return fig
    t0 = _origin(section)
    for name, burn in curves:
        ax.plot([_hours(t, t0) for t, _ in burn], [b for _, b in burn], label=name, linewidth=1.2)
    for line in _BUDGET_LINES:
        ax.axhline(line, color="#999999", linewidth=0.6, linestyle="--")
    ax.set_title(title)
    ax.set_xlabel("hours since the first event")
    ax.set_ylabel("budget burned")
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    return fig


def plot_alert_timeline(section: Mapping[str, Any]) -> Figure:
    """One row per (alert, SLO, window): a bar while it fired."""
    fig = new_figure(8.0, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    title = "SLO alerts fired"
    alerts = section.get("alerts") or []
    if not alerts:
        _none_note(ax, title)
        return fig
    t0 = _origin(section) or min(a["start_s"] for a in alerts)
    last = max(c[-1][0] for s in section.get("slos", []) for c in [s.get("burn") or []] if c) \
        if any(s.get("burn") for s in section.get("slos", [])) else max(a["start_s"] for a in alerts)
    rows: dict[str, int] = {}
    for a in alerts:
        labels = a["labels"]
        key = f'{labels["slo"]} {a["alert"]} {labels.get("long_window") or labels.get("burned") + "%"}'
        row = rows.setdefault(key, len(rows))
        end = a["end_s"] if a["end_s"] is not None else last
        colour = "#c44e52" if labels.get("severity") == "page" else "#dd8452"
        ax.barh(row, _hours(end, t0) - _hours(a["start_s"], t0), left=_hours(a["start_s"], t0), color=colour)
    ax.set_yticks(list(rows.values()), list(rows.keys()), fontsize=7)
    ax.set_title(title + " (red: page, orange: ticket)")
    ax.set_xlabel("hours since the first event")
    fig.tight_layout()
    return fig

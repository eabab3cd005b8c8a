"""The ``twin diff-live`` report: live vs twin, order by order, as one self-contained HTML file.

Rendered from ``templates/diff_live.html.j2`` with the same conventions as
the run report (``reports.html``): tables from plain data, one matplotlib
figure (latency per segment, both runtimes) embedded as a PNG data URI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

from .html import figure_to_data_uri
from .plots import new_figure

TEMPLATE_NAME = "diff_live.html.j2"
_COLOURS = {"p50": "#4c72b0", "p99": "#c44e52"}


def plot_latency_pair(rows: Sequence[Mapping[str, Any]], names: tuple[str, str]) -> Figure:
    """Grouped bars: p50 and p99 per segment, for each runtime (hatched: the second)."""
    fig = new_figure(8.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    segments = [r["segment"] for r in rows]
    width = 0.2
    for j, (name, stat) in enumerate((n, s) for n in names for s in ("p50", "p99")):
        values = [r.get(f"{name}_{stat}") or 0.0 for r in rows]
        ax.bar([i + (j - 1.5) * width for i in range(len(rows))], values, width, label=f"{name} {stat}",
               color=_COLOURS[stat], hatch="//" if name == names[1] else None, edgecolor="white")
    ax.set_xticks(range(len(rows)), segments)
    ax.set_ylabel("ms")
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_title("Latency per segment")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return str(value)


def write_diff_report(path: str | Path, *, run_log: str, names: tuple[str, str], orders: Sequence[Mapping[str, Any]],
                      divergences: Sequence[Mapping[str, Any]], latency: Sequence[Mapping[str, Any]],
                      notes: Sequence[str] = ()) -> Path:
    """Write the report to ``path``; returns it."""
    environment = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                              trim_blocks=True, lstrip_blocks=True)
    html = environment.get_template(TEMPLATE_NAME).render(
        run_log=run_log, names=names, orders=orders, divergences=divergences, latency=latency, notes=notes,
        plot=figure_to_data_uri(plot_latency_pair(latency, names)), fmt=_fmt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path

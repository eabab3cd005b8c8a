"""The report's plots: one function per plot, each returning a matplotlib Figure.

Figures are built with ``matplotlib.figure.Figure`` directly (Agg canvas, no
pyplot global state), so they are safe in worker processes and never leak.
Each function takes the plain data from the summary (not DataFrames) and draws
a "none" note instead of failing when there is nothing to plot.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Mapping

from matplotlib import rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter, NullLocator

_PCT_COLOURS = {"p50": "#4c72b0", "p95": "#dd8452", "p99": "#c44e52"}
_MAIN = "#4c72b0"
_EXIT = "#c44e52"


# Titles sit on top of their axes (y = 1.0) instead of being placed by matplotlib's automatic title
# positioning, which measures every tick label of the axes at each draw to clear decorations above the
# axes. No report axes has any (no top ticks, no twin axes), so the pixels are the same and a report
# costs about a fifth less CPU (tests/unit/reports/test_report_figures.py).
rcParams["axes.titley"] = 1.0


def new_figure(width: float = 8.0, height: float = 4.0) -> Figure:
    """A figure of the report's kind: ``width`` x ``height`` inches at 100 dpi on its own Agg canvas
    (no pyplot state)."""
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


_PLAIN = FuncFormatter(lambda value, _pos: f"{value:g}")


def plain_log_labels(axis: Any, minor: bool = False) -> None:
    """Label a log-scale ``axis`` with plain numbers (100, 0.001, 1e-05) rather than matplotlib's 10^k,
    which is mathtext: its parser costs about a second of CPU the first time a process draws one.
    ``minor``: label the minor ticks too (else they are unlabelled)."""
    axis.set_major_formatter(_PLAIN)
    axis.set_minor_formatter(_PLAIN if minor else NullFormatter())


def lean_ticks(fig: Figure) -> None:
    """Build only the ticks ``fig`` draws, and its unlabelled minor ticks as one line of tick marks per axis;
    call once the figure's limits and layout are final (its last step). Same pixels
    (tests/unit/reports/test_report_figures.py).

    Why: matplotlib builds a tick (two lines, a grid line, two labels: a few ms of CPU) for every location a
    locator returns, beyond the view too, before dropping those at draw time; a realism figure built 116
    ticks to draw 87, 53 of them the log axes' minor ticks, which are marks only. Their locations are
    fixed here (what the locators return now is what they would return at draw time), and the minor marks
    are drawn as one Line2D with the tick's own marker, size, width, colour and transform."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            scale = axis.get_transform()
            lo, hi = sorted(scale.transform(axis.get_view_interval()))
            slack = (hi - lo) * 1e-6  # looser than matplotlib's 1e-10: an extra tick costs a tick, never a pixel

            def in_view(locs: Any) -> list[float]:
                return [loc for loc, at in zip(locs, scale.transform(locs)) if lo - slack <= at <= hi + slack]

            major = in_view(axis.get_majorticklocs())
            axis.set_major_locator(FixedLocator(major))
            minor = in_view(axis.get_minorticklocs())
            axis.set_minor_locator(FixedLocator(minor))
            if len(minor) > 1 and axis is ax.yaxis:  # y: drawn last of the axes' ticks either way (below)
                _minor_marks_as_one_line(ax, axis, major, minor)


def _minor_marks_as_one_line(ax: Any, axis: Any, major: list[float], locs: list[float]) -> None:
    """Draw y ``axis``'s minor ticks at ``locs`` as one line of markers, when they are tick marks only (no
    label text, grid line or second mark): each tick would draw just its ``tick1line``, a one-point
    Line2D, and this one has the same marker, size, width, colour and transform at every point.

    Only with a labelled major tick in view (``major``): matplotlib places the axis label beside the
    tick labels' boxes, and a minor tick's empty label still has one, at the labels' inner edge, which
    a real label's box always covers; with no label drawn, those empty boxes alone place the axis label."""
    tick = axis.get_minor_ticks(1)[0]
    unlabelled = isinstance(axis.get_minor_formatter(), NullFormatter) or not tick.label1.get_visible()
    labelled_major = axis.get_major_ticks(1)[0].label1.get_visible() and any(
        axis.get_major_formatter().format_ticks(major))
    if not (labelled_major and tick.tick1line.get_visible() and unlabelled and not tick.tick2line.get_visible()
            and not tick.gridline.get_visible() and not tick.label2.get_visible()):
        return
    marks = Line2D([], [])
    marks.update_from(tick.tick1line)  # marker, size, width, colour; the tick's blended transform
    marks.set_label("_minor ticks")  # after update_from, which copies the tick line's (empty) label
    marks.set_data([0.0] * len(locs), locs)
    # Just above the axes' x and y axis, below everything else above them (lines, spines): matplotlib draws
    # an axis's minor ticks after its major ones and after the other axis, and where two anti-aliased marks
    # overlap the order shows in the last bit of a pixel.
    marks.set_zorder(math.nextafter(axis.get_zorder(), math.inf))
    ax.add_artist(marks)
    marks.set_clip_on(False)  # tick marks lie outside the axes box
    axis.set_minor_locator(NullLocator())


def unlabelled_bars(ax: Any, xs: list[float], heights: list[float], widths: float | list[float] = 0.8,
                    align: str = "center", zorder: float = 1) -> PolyCollection:
    """Bars from zero up to ``heights`` (counts: never negative), in ``_MAIN``, as one PolyCollection: what
    ``ax.bar(xs, heights, widths, align=align, color=_MAIN, zorder=zorder)`` draws, for bars with no label.
    ``ax.bar`` makes a Rectangle per bar and updates the data limits once per bar (about 1 ms of CPU each;
    a realism figure's two histograms have up to 60); the collection is one artist with the same corners,
    colour, zero line (sticky edge) and limits. Same pixels (tests/unit/reports/test_report_figures.py);
    not for bars below zero, whose limits a collection sets differently."""
    widths = widths if isinstance(widths, list) else [widths] * len(xs)
    lefts = [x - w / 2 for x, w in zip(xs, widths)] if align == "center" else list(xs)
    bars = PolyCollection([[(x, 0.0), (x, h), (x + w, h), (x + w, 0.0)] for x, w, h in zip(lefts, widths, heights)],
                          facecolors=_MAIN, edgecolors="none", zorder=zorder)
    bars.sticky_edges.y.append(0.0)  # as ax.bar: no margin below the zero line
    ax.add_collection(bars)
    return bars


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _integer_axis(axis: Any) -> None:
    axis.set_major_locator(MaxNLocator(integer=True))


def _none_note(ax: Any, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, "none", ha="center", va="center", fontsize=14, color="#777777",
            transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_latency(latency: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Grouped p50/p95/p99 bars per segment, with the p50 and p99 budgets marked."""
    segments = [s for s, row in latency.items() if row.get("count")]
    bars = {name: [float(latency[s].get(name) or 0.0) for s in segments] for name in ("p50", "p95", "p99")}
    budgets = [(latency[s]["budget_p50"], latency[s]["budget_p99"]) for s in segments]
    return latency_vs_budget("Latency per segment (ms) vs budget", segments, bars, budgets)


def latency_vs_budget(title: str, segments: list[str], bars: Mapping[str, list[float]],
                      budgets: list[tuple[float, float]], errors: Mapping[str, list[float]] | None = None,
                      label: str = "{}") -> Figure:
    """Grouped bars per segment (``bars``: percentile name -> one value per segment, with optional
    error bars), each segment's p50 and p99 budgets marked; a "none" note when there are no segments."""
    fig = new_figure()
    ax = fig.add_subplot(1, 1, 1)
    if not segments:
        _none_note(ax, title)
        return fig
    width = 0.26
    for k, (name, ys) in enumerate(bars.items()):
        xs = [i + (k - 1) * width for i in range(len(segments))]
        ax.bar(xs, ys, width, yerr=None if errors is None else errors[name], capsize=3, label=label.format(name),
               color=_PCT_COLOURS[name])
    for i, (budget_p50, budget_p99) in enumerate(budgets):
        ax.hlines(budget_p50, i - 1.5 * width, i - 0.5 * width, colors="black",
                  linestyles="--", linewidth=2, label="budget p50" if i == 0 else None)
        ax.hlines(budget_p99, i + 0.5 * width, i + 1.5 * width, colors="black",
                  linestyles=":", linewidth=2, label="budget p99" if i == 0 else None)
    ax.set_xticks(range(len(segments)))
    ax.set_xticklabels(segments)
    ax.set_xlabel("path segment")
    ax.set_ylabel("ms")
    ax.set_title(title)
    ax.legend(fontsize=8, ncols=5, loc="upper left")
    ax.margins(y=0.2)
    fig.tight_layout()
    return fig


def plot_funnel(funnel: Mapping[str, Mapping[str, int]]) -> Figure:
    """Orders reaching each lifecycle stage, with side bars for the exits."""
    fig = new_figure(10.0, 4.5)
    main, side = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    stages = dict(funnel.get("stages", {}))
    exits = dict(funnel.get("exits", {}))
    if not any(stages.values()) and not any(exits.values()):
        _none_note(main, "Order lifecycle funnel")
        _none_note(side, "Exits")
        return fig
    names = list(stages)[::-1]
    values = [stages[n] for n in names]
    bars = main.barh(names, values, color=_MAIN)
    main.bar_label(bars, fontsize=8, padding=2)
    main.set_title("Order lifecycle funnel (orders reaching stage)")
    main.margins(x=0.15)
    _integer_axis(main.xaxis)
    exit_names = list(exits)[::-1]
    bars = side.barh(exit_names, [exits[n] for n in exit_names], color=_EXIT)
    side.bar_label(bars, fontsize=8, padding=2)
    side.set_title("Exits")
    side.margins(x=0.15)
    _integer_axis(side.xaxis)
    fig.tight_layout()
    return fig


def plot_fills_by_venue(fills: Mapping[str, Mapping[str, Any]]) -> Figure:
    """Shares filled (fill count labelled) and net fees in USD, per venue."""
    fig = new_figure(10.0, 4.0)
    left, right = fig.subplots(1, 2)
    if not fills:
        _none_note(left, "Shares filled by venue")
        _none_note(right, "Fees by venue (USD)")
        return fig
    venues = list(fills)
    bars = left.bar(venues, [int(fills[v]["shares"]) for v in venues], color=_MAIN)
    left.bar_label(bars, labels=[_plural(int(fills[v]["fills"]), "fill") for v in venues],
                   fontsize=8, padding=2)
    left.set_title("Shares filled by venue")
    left.margins(y=0.15)
    _integer_axis(left.yaxis)
    fees = [float(Decimal(str(fills[v]["fees_usd"]))) for v in venues]
    right.bar(venues, fees, color=[_EXIT if f > 0 else "#55a868" for f in fees])
    right.axhline(0, color="black", linewidth=0.8)
    right.set_title("Net fees by venue (USD; negative = rebate)")
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=30)
    fig.tight_layout()
    return fig


def plot_risk_blocks(blocks: Mapping[str, int]) -> Figure:
    """Risk blocks by reason code, largest first."""
    fig = new_figure(8.0, max(2.5, 0.4 * len(blocks) + 1.5))
    ax = fig.add_subplot(1, 1, 1)
    title = "Risk blocks by reason"
    if not blocks:
        _none_note(ax, title)
        return fig
    items = sorted(blocks.items(), key=lambda kv: (-kv[1], kv[0]))[::-1]
    bars = ax.barh([k for k, _ in items], [v for _, v in items], color=_EXIT)
    ax.bar_label(bars, fontsize=8, padding=2)
    ax.set_title(title)
    ax.margins(x=0.15)
    _integer_axis(ax.xaxis)
    fig.tight_layout()
    return fig


def _through_last_nonzero(counts: list[int]) -> int:
    """How many leading bins to draw: through the last non-empty one (at least one)."""
    return max((i + 1 for i, c in enumerate(counts) if c), default=1)


def plot_market_realism(symbol: str, section: Mapping[str, Any], source: str = "simulated") -> Figure:
    """Four panels for one symbol: 1-minute returns vs a normal of the same
    mean and std, ACF of absolute returns with the 95% no-correlation band,
    spread histogram (ticks) and top-of-book depth histogram."""
    fig = new_figure(10.0, 7.0)
    (ret_ax, acf_ax), (spread_ax, depth_ax) = fig.subplots(2, 2)
    ret = section.get("returns_1min") or {}
    hist = ret.get("histogram") or {}
    edges, counts = hist.get("edges") or [], hist.get("counts") or []
    if sum(counts) and ret.get("std"):  # all-empty bins (no returns) draw the "none" note, not a division by zero
        widths = [(b - a) * 1e4 for a, b in zip(edges, edges[1:])]
        total = sum(counts)
        dens = [c / (total * w) if w else 0.0 for c, w in zip(counts, widths)]
        ret_ax.bar([a * 1e4 for a in edges[:-1]], dens, widths, align="edge", color=_MAIN, label=source)
        mean, std = ret["mean"] * 1e4, ret["std"] * 1e4
        lo, hi = edges[0] * 1e4, edges[-1] * 1e4
        xs = [lo + (hi - lo) * i / 200 for i in range(201)]
        ys = [math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi)) for x in xs]
        ret_ax.plot(xs, ys, color=_EXIT, label="normal")
        ret_ax.set_yscale("log")
        plain_log_labels(ret_ax.yaxis)  # labelled decades only
        ret_ax.set_xlabel("1-min return (bps)")
        ret_ax.set_ylabel("density per bps (log scale)")
        ret_ax.set_ylim(bottom=max(min(d for d in dens if d > 0) / 2, 1e-6) if any(dens) else None)
        kurt = ret.get("excess_kurtosis")
        ret_ax.set_title(f"1-min returns (bps), excess kurtosis {kurt:.1f}" if kurt is not None
                         else "1-min returns (bps)")
        ret_ax.legend(fontsize=8)
    else:
        _none_note(ret_ax, "1-min returns")
    acf = section.get("abs_return_acf") or {}
    values = acf.get("values") or []
    if values and any(v is not None for v in values):
        lags = acf.get("lags") or list(range(1, len(values) + 1))
        acf_ax.bar(lags, [v or 0.0 for v in values], color=_MAIN, zorder=2)  # not unlabelled_bars: may be < 0
        band = acf.get("band_95")
        if band:
            acf_ax.axhspan(-band, band, color="#dddddd", zorder=0, label="95% band (no correlation)")
            acf_ax.legend(fontsize=8)
        acf_ax.axhline(0, color="black", linewidth=0.8)
        acf_ax.set_title("ACF of |1-min returns| (volatility clustering)")
        acf_ax.set_xlabel("lag (minutes)")
        _integer_axis(acf_ax.xaxis)
    else:
        _none_note(acf_ax, "ACF of |1-min returns|")
    spread = (section.get("spread_ticks") or {}).get("histogram") or {}
    if spread.get("counts") and sum(spread["counts"]):
        # the axis ends at the widest spread seen, not at the histogram's last (often empty) bin
        shown = _through_last_nonzero(spread["counts"])
        ticks = spread["ticks"][:shown]
        unlabelled_bars(spread_ax, ticks, spread["counts"][:shown])
        spread_ax.set_xlim(ticks[0] - 0.6, ticks[-1] + 0.6)
        _integer_axis(spread_ax.xaxis)
        spread_ax.set_yscale("log")
        plain_log_labels(spread_ax.yaxis)
        spread_ax.set_xlabel("quoted spread (ticks)")
        spread_ax.set_ylabel("snapshots (log scale)")
        wider = shown == len(spread["counts"]) and spread.get("last_includes_wider", True)
        spread_ax.set_title("Quoted spread" + (" (last bar includes wider)" if wider else ""))
    else:
        _none_note(spread_ax, "Quoted spread")
    depth = (section.get("top_depth") or {}).get("histogram") or {}
    if depth.get("counts") and sum(depth["counts"]):
        shown = _through_last_nonzero(depth["counts"])
        e = depth["edges"][:shown + 1]
        unlabelled_bars(depth_ax, e[:-1], depth["counts"][:shown], [b - a for a, b in zip(e, e[1:])], align="edge")
        depth_ax.set_xlim(e[0], e[-1])
        depth_ax.set_xlabel("bid + ask shares at the best prices")
        depth_ax.set_ylabel("snapshots")
        deeper = shown == len(depth["counts"]) and depth.get("last_includes_larger")
        depth_ax.set_title("Top-of-book depth (bid + ask shares)" + ("\nlast bar includes deeper" if deeper else ""))
    else:
        _none_note(depth_ax, "Top-of-book depth")
    fig.suptitle(f"Market realism: {symbol} ({source})")
    # A fixed layout, not tight_layout: the four panels' labels are known, and measuring every tick label
    # of the two log axes to place them cost ~1 s of CPU per symbol (half of a run's report; issue 19).
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.08, top=0.91, wspace=0.3, hspace=0.42)
    lean_ticks(fig)
    return fig

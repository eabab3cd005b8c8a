"""Game-day reports: a Chaos Toolkit journal as an HTML page, and the order-path latency it measures.

``read_journal(path)`` reads a journal (``chaos run --journal-path``) into a ``GameDay``: every
activity on the experiment's wall-clock timeline (hypothesis before, method, hypothesis after,
rollbacks), the hypothesis probe by probe before and after, the faults the actions injected into
twin runs (kind, parameters, start and duration on the simulated session's New York clock),
RPO/RTO figures, the orders affected and how each ended beside the fault-free baseline's figures
when the actions' outputs carry them, the order-path p99 per simulated minute, and the verdict.
``write_gameday`` renders ``templates/gameday.html.j2`` into one self-contained page
(``twin gameday JOURNAL``).

Times of the simulated session are shown one way throughout: New York session time, "HH:MM:SS"
(as experiments and scenarios write them); the experiment's own steps are on its wall clock, in
seconds since it started.

``order_path(events)`` is the order path's latency per order, from the run's recorded event stamps
(``reports.latency.segment_latencies``: gateway + oms + risk + routing, i.e. advisor send to the
order routed), and its percentiles: what "order-path p99" means in the bulkhead and control-plane
acceptance checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from matplotlib.figure import Figure

from components.config.session import NEW_YORK, session_time
from components.domain.events import EventType

from .html import figure_to_data_uri
from .latency import SEGMENTS, segment_latencies
from .plots import new_figure, _none_note


def order_path_ms(events: pd.DataFrame) -> pd.Series:
    """Advisor send to order routed, ms, per order that was routed (index ``order_id``)."""
    per_order = segment_latencies(events)
    complete = per_order.dropna(subset=list(SEGMENTS))
    return complete[list(SEGMENTS)].sum(axis=1)


def order_path(events: pd.DataFrame) -> dict[str, Any]:
    """Count, p50, p95 and p99 (ms) of ``order_path_ms``; percentiles None when no order was routed."""
    values = order_path_ms(events)
    if values.empty:
        return {"count": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None}
    qs = values.quantile([0.50, 0.95, 0.99]).to_numpy()
    return {"count": int(values.size), **{k: round(float(v), 6) for k, v in zip(("p50_ms", "p95_ms", "p99_ms"), qs)}}


MINUTE_NS = 60_000_000_000


def order_path_by_minute(events: pd.DataFrame) -> list[dict[str, Any]]:
    """``order_path_ms`` per simulated minute the orders were received in: ``t_ns`` (the minute's
    start, epoch ns), ``count`` and ``p99_ms``, minutes in order; the SLO over the session."""
    values = order_path_ms(events)
    if values.empty:
        return []
    received = events[events["event_type"].astype(str) == EventType.ORDER_RECEIVED.value]
    first = received.assign(t=received["timestamp_utc"].astype("int64")).groupby("order_id")["t"].min()
    minute = (first.reindex(values.index) // MINUTE_NS) * MINUTE_NS
    rows = []
    for t_ns, group in values.groupby(minute.to_numpy(), sort=True):
        rows.append({"t_ns": int(t_ns), "count": int(group.size), "p99_ms": round(float(group.quantile(0.99)), 6)})
    return rows


def _session_minutes(ns: int) -> float:
    """Epoch ns as minutes since New York midnight: the x axis of the session-time plots."""
    moment = datetime.fromtimestamp(ns / 1e9, NEW_YORK)
    return moment.hour * 60 + moment.minute + (moment.second + moment.microsecond / 1e6) / 60


def _hhmm_axis(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda m, _: f"{int(m // 60) % 24:02d}:{int(m % 60):02d}"))
    ax.set_xlabel("New York session time (simulated)")


# -- the game-day report of a Chaos Toolkit journal ---------------------------------------------------
REPORT_NAME = "gameday.html"
TEMPLATE_NAME = "gameday.html.j2"
PHASES = ("hypothesis before", "method", "hypothesis after", "rollbacks")
_MEASURE_KEYS = ("rpo", "rto")


@dataclass(frozen=True, slots=True)
class Step:
    """One activity of the journal, placed on the experiment's wall-clock timeline."""

    phase: str
    kind: str
    """action or probe."""
    name: str
    start_s: float
    """Seconds since the experiment started."""
    duration_s: float
    status: str
    output: str
    tolerance: str = ""
    tolerance_met: bool | None = None


@dataclass(frozen=True, slots=True)
class SimFault:
    """A fault an action injected into a twin run, in simulated session time."""

    kind: str
    describe: str
    at_ns: int
    duration_ns: int | None
    params: tuple[tuple[str, Any], ...] | None = None
    """The fault's own fields but its timing (None in journals written before they were recorded)."""

    @property
    def at(self) -> str:
        """Start, New York session time "HH:MM:SS"."""
        return session_time(self.at_ns)

    @property
    def duration_s(self) -> float | None:
        return None if self.duration_ns is None else self.duration_ns / 1e9

    @property
    def parameters(self) -> str:
        """``venue XNAS, factor 50``; the fault's one-line description when its fields were not recorded."""
        if self.params is None:
            return self.describe
        return ", ".join(f"{k} {v}" for k, v in self.params) or "(none)"

    @property
    def window(self) -> str:
        """``from 09:30:00 for 300 s`` or ``at 09:50:00`` (an instantaneous fault)."""
        if self.duration_s is None:
            return f"at {self.at}"
        return f"from {self.at} for {self.duration_s:g} s"


@dataclass(frozen=True)
class GameDay:
    """Everything the game-day page shows, read from one journal."""

    title: str
    description: str
    status: str
    deviated: bool
    started: str
    duration_s: float
    steps: tuple[Step, ...]
    hypothesis: tuple[dict[str, Any], ...]
    """Per hypothesis probe: name, tolerance, before and after (output, met)."""
    faults: tuple[SimFault, ...]
    measures: tuple[tuple[str, Any], ...]
    """RPO, RTO and the like found in the actions' outputs (dotted path, value)."""
    affected: tuple[dict[str, Any], ...]
    """Per action that reported it: orders affected and how each ended (``rows``: status, run,
    baseline, difference), beside the fault-free baseline when the action compared with one."""
    outcomes: tuple[dict[str, Any], ...]
    """Per action that reported it: every order's final status, beside the baseline's likewise."""
    control_timeline: tuple[dict[str, Any], ...]
    """The control plane's timeline entries, each with ``at`` (New York session time)."""
    slo_series: tuple[dict[str, Any], ...] = ()
    """Per action that reported it: order-path p99 per simulated minute (``run``, ``baseline``)."""

    @property
    def compared(self) -> bool:
        """Every action's order figures come with a fault-free baseline's."""
        return bool(self.affected or self.outcomes) and all(a["baseline"] is not None
                                                            for a in (*self.affected, *self.outcomes))

    @property
    def verdict(self) -> str:
        if self.status != "completed":
            return f"not completed ({self.status})"
        return "DEVIATED: the steady state did not hold after the method" if self.deviated else \
            "the steady state held"


class JournalError(ValueError):
    """The file is not a Chaos Toolkit journal (one line naming the file and what is missing)."""


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _short(value: Any, limit: int = 160) -> str:
    if isinstance(value, Mapping) and "order_path" in value:  # a twin run's figures: the headline
        path = value["order_path"] or {}
        return (f"invariants held: {value.get('invariants_held')}; order-path p99 {path.get('p99_ms')} ms over "
                f"{path.get('count')} routed orders; fingerprint {str(value.get('fingerprint', ''))[:12]}")
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tolerance(activity: Mapping[str, Any]) -> str:
    tol = activity.get("tolerance")
    if tol is None:
        return ""
    if isinstance(tol, dict) and tol.get("type") == "range":
        low, high = tol.get("range", [None, None])
        return f"in [{low}, {high}]"
    return f"== {json.dumps(tol)}" if not isinstance(tol, dict) else _short(tol, 60)


def _steps(journal: Mapping[str, Any], t0: datetime) -> list[Step]:
    states = journal.get("steady_states") or {}
    groups = [("hypothesis before", (states.get("before") or {}).get("probes") or []),
              ("method", journal.get("run") or []),
              ("hypothesis after", (states.get("after") or {}).get("probes") or []),
              ("rollbacks", journal.get("rollbacks") or [])]  # fmt: skip
    steps = []
    for phase, runs in groups:
        for run in runs:
            activity = run.get("activity") or {}
            start = _time(run["start"]) if run.get("start") else t0
            output = run.get("exception") and "".join(run["exception"][-1:]).strip() or run.get("output")
            steps.append(Step(phase, activity.get("type", "?"), activity.get("name", "?"),
                              (start - t0).total_seconds(), float(run.get("duration") or 0.0),
                              run.get("status", "?"), _short(output), _tolerance(activity),
                              run.get("tolerance_met")))  # fmt: skip
    return steps


def _hypothesis(journal: Mapping[str, Any]) -> list[dict[str, Any]]:
    states = journal.get("steady_states") or {}
    rows: dict[str, dict[str, Any]] = {}
    for when in ("before", "after"):
        for run in (states.get(when) or {}).get("probes") or []:
            name = run["activity"]["name"]
            row = rows.setdefault(name, {"name": name, "tolerance": _tolerance(run["activity"])})
            row[when] = {"output": _short(run.get("output"), 60), "met": run.get("tolerance_met")}
    return list(rows.values())


def _walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON value with its dotted path (list items as ``[i]``)."""
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _walk(sub, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            yield from _walk(sub, f"{path}[{i}]")
    else:
        yield path, value


def read_journal(path: str | Path) -> GameDay:
    """The game day of the Chaos Toolkit journal at ``path`` (``chaos run --journal-path``)."""
    path = Path(path)
    try:
        journal = json.loads(path.read_text())
    except OSError as exc:
        raise JournalError(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise JournalError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from None
    if not isinstance(journal, dict):
        raise JournalError(f"{path}: not a Chaos Toolkit journal (a JSON object is expected)")
    for key in ("experiment", "status", "start", "run"):
        if key not in journal:
            raise JournalError(f"{path}: not a Chaos Toolkit journal (no {key!r})")
    try:
        return _read(journal, path)
    # a part of the wrong shape, or a time no clock can show (OverflowError, OSError)
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError, OSError) as exc:
        raise JournalError(f"{path}: not a Chaos Toolkit journal ({type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else 'malformed'})") from None


def _rows(run: Mapping[str, Any], base: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Per final status: this run's count, the baseline's and the difference (None without one)."""
    statuses = sorted(set(run) | set(base or {}))
    return [{"status": s, "run": int(run.get(s, 0)), "baseline": None if base is None else int(base.get(s, 0)),
             "difference": None if base is None else int(run.get(s, 0)) - int(base.get(s, 0))}
            for s in statuses]  # fmt: skip


def _fault(fault: Mapping[str, Any]) -> SimFault:
    describe = str(fault.get("describe", ""))
    params = fault.get("params")
    if not isinstance(params, Mapping):
        params = _repr_fields(describe)
    session_time(int(fault["at_ns"]))  # a time the session clock can show, or refused here, not when drawn
    return SimFault(str(fault.get("kind")), describe, int(fault["at_ns"]),
                    None if fault.get("duration_ns") is None else int(fault["duration_ns"]),
                    None if params is None else tuple(sorted((k, v) for k, v in params.items()
                                                             if k not in ("at_ns", "duration_ns"))))


def _repr_fields(describe: str) -> dict[str, Any] | None:
    """The fields of a fault's default description, ``kind: Class(field=value, ...)`` (journals written
    before the fields were recorded apart); None when it is not of that form."""
    import ast

    _, _, text = describe.partition(": ")
    try:
        call = ast.parse(text, mode="eval").body
        if not isinstance(call, ast.Call) or call.args:
            return None
        return {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (SyntaxError, ValueError):
        return None


def _series(rows: Any) -> list[tuple[int, float]]:
    points = [(int(r["t_ns"]), float(r["p99_ms"])) for r in rows or [] if isinstance(r, Mapping)]
    for t_ns, _ in points:
        session_time(t_ns)  # a time the session clock can show, or refused here, not when drawn
    return points


def _read(journal: Mapping[str, Any], path: Path) -> GameDay:
    if not isinstance(journal["experiment"], Mapping) or not isinstance(journal["run"], list):
        raise TypeError("'experiment' must be an object and 'run' a list")
    t0 = _time(journal["start"])
    faults, measures, affected, outcomes, control, slo = [], [], [], [], [], []
    for run in journal["run"]:
        output, name = run.get("output"), run["activity"].get("name", "?")
        if run["activity"].get("type") != "action" or not isinstance(output, Mapping):
            continue
        faults.extend(_fault(f) for f in output.get("faults") or [] if isinstance(f, Mapping) and
                      f.get("at_ns") is not None)  # fmt: skip
        base = output.get("baseline") if isinstance(output.get("baseline"), Mapping) else None
        measures.extend((f"{name}: {p}", v) for p, v in _walk({k: v for k, v in output.items() if k != "baseline"})
                        if p.rsplit(".", 1)[-1].lower().startswith(_MEASURE_KEYS))  # fmt: skip
        if isinstance(output.get("affected"), Mapping):
            hit, base_hit = output["affected"], (base or {}).get("affected")
            affected.append({"action": name, "count": hit.get("count"), "ended": dict(hit.get("ended") or {}),
                             "baseline": base_hit, "rows": _rows(hit.get("ended") or {},
                                                                 None if base_hit is None else base_hit["ended"])})
        if isinstance(output.get("orders"), Mapping):
            outcomes.append({"action": name, "ended": dict(output["orders"]), "baseline": (base or {}).get("orders"),
                             "rows": _rows(output["orders"], (base or {}).get("orders"))})
        for entry in ((output.get("control_plane") or {}).get("timeline") or []):
            at = session_time(entry["t_ns"], ms=True) if isinstance(entry.get("t_ns"), int) else "?"
            control.append({"action": name, **entry, "at": at})
        if output.get("order_path_by_minute"):
            slo.append({"action": name, "run": _series(output["order_path_by_minute"]),
                        "baseline": _series((base or {}).get("order_path_by_minute")) or None})
    experiment = journal["experiment"]
    return GameDay(
        title=str(experiment.get("title", path.name)), description=str(experiment.get("description", "")),
        status=str(journal["status"]), deviated=bool(journal.get("deviated")), started=str(journal["start"]),
        duration_s=float(journal.get("duration") or 0.0), steps=tuple(_steps(journal, t0)),
        hypothesis=tuple(_hypothesis(journal)), faults=tuple(faults), measures=tuple(measures),
        affected=tuple(affected), outcomes=tuple(outcomes), control_timeline=tuple(control),
        slo_series=tuple(slo),
    )


_COLOURS = {"action": "#c0392b", "probe": "#2e86c1"}


def plot_timeline(day: GameDay) -> Figure:
    """What ``chaos run`` did, on its own wall clock: actions as red bars (how long each took to run,
    e.g. a whole simulated session with its faults: not the fault's window), probes as points:
    green when within tolerance, a red cross when not, blue without a tolerance. The simulated
    session is on the other plots (``plot_slo_session``, ``plot_faults``)."""
    fig = new_figure(9.0, max(2.5, 0.28 * len(day.steps) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    title = "The experiment's steps on its wall clock (not the simulated session)"
    if not day.steps:
        _none_note(ax, title)
        return fig
    for i, step in enumerate(day.steps):
        if step.kind == "action":
            ax.barh(i, max(step.duration_s, 0.02), left=step.start_s, color=_COLOURS["action"], edgecolor="black",
                    linewidth=0.4)  # fmt: skip
        else:  # an SLO measure: a point, coloured by its verdict
            marker, colour = {True: ("o", "#27ae60"), False: ("X", "#c0392b")}.get(step.tolerance_met,
                                                                                  ("D", _COLOURS["probe"]))
            ax.plot([step.start_s + step.duration_s], [i], marker=marker, color=colour, markersize=8, linestyle="")
    ax.set_yticks(range(len(day.steps)), [f"{s.phase}: {s.name}" for s in day.steps], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("wall-clock seconds since the experiment started")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_slo_session(day: GameDay) -> Figure:
    """The order-path p99 per simulated minute of each faulted run (solid) and of its fault-free
    baseline (dashed), the faults' windows shaded, on New York session time."""
    fig = new_figure(9.0, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    title = "Order-path p99 over the simulated session"
    if not day.slo_series:
        _none_note(ax, title)
        return fig
    for series in day.slo_series:  # the baseline wide and grey underneath: where the run equals it, both show
        for key, style in (("baseline", dict(linestyle="--", color="#999999", linewidth=3.0, zorder=1)),
                           ("run", dict(linestyle="-", marker=".", linewidth=1.0, zorder=2))):
            points = series[key] or []
            if points:
                label = f"{series['action']}" if key == "run" else f"{series['action']}: fault-free baseline"
                ax.plot([_session_minutes(t) for t, _ in points], [v for _, v in points], label=label, **style)
    _shade_faults(ax, day)
    _hhmm_axis(ax)
    ax.set_ylabel("p99 ms (advisor send to routed)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def _shade_faults(ax: Any, day: GameDay) -> None:
    for fault in day.faults:
        start = _session_minutes(fault.at_ns)
        if fault.duration_ns:
            ax.axvspan(start, start + fault.duration_ns / 60e9, color="#e67e22", alpha=0.2)
        else:
            ax.axvline(start, color="#c0392b", linewidth=1.0)
        ax.annotate(fault.kind, (start, 1.0), xycoords=("data", "axes fraction"), fontsize=7, va="top")


def plot_faults(day: GameDay) -> Figure:
    """The faults the actions injected, on the simulated session's New York clock, with the control
    plane's writes (held, published, applied, refused) when a run had one."""
    fig = new_figure(9.0, max(2.2, 0.35 * (len(day.faults) + 1) + 1.2))
    ax = fig.add_subplot(1, 1, 1)
    title = "Faults injected (simulated session time)"
    if not day.faults:
        _none_note(ax, title)
        return fig
    for i, fault in enumerate(day.faults):
        start = _session_minutes(fault.at_ns)
        if fault.duration_ns:
            ax.barh(i, fault.duration_ns / 60e9, left=start, color="#e67e22", edgecolor="black", linewidth=0.4)
        else:
            ax.plot([start], [i], marker="v", color="#c0392b", markersize=9)
    labels = [f.kind for f in day.faults]
    row = len(labels)
    marks = {"held": ("x", "#c0392b"), "published": ("|", "#2e86c1"), "applied": ("o", "#27ae60"),
             "refused": ("X", "#8e44ad")}
    shown = [e for e in day.control_timeline if e.get("what") in marks and isinstance(e.get("t_ns"), int)]
    for what, (marker, colour) in marks.items():  # the control plane's writes on the same clock
        ts = [_session_minutes(e["t_ns"]) for e in shown if e["what"] == what]
        if ts:
            ax.plot(ts, [row] * len(ts), marker=marker, color=colour, linestyle="", markersize=8, label=what)
    if shown:
        labels.append("control-plane writes")
        ax.legend(fontsize=7, loc="upper right")
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    left, right = ax.get_xlim()
    if right - left < 2.0:  # one instant fault: show the minute either side, not a hair's width
        ax.set_xlim(left - 1.0, right + 1.0)
    _hhmm_axis(ax)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def write_gameday(day: GameDay, out_dir: str | Path) -> Path:
    """Write ``gameday.html`` (self-contained: plots embedded) into ``out_dir``; return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    environment = Environment(loader=PackageLoader("reports", "templates"),
                              autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    html = environment.get_template(TEMPLATE_NAME).render(
        day=day, timeline_png=figure_to_data_uri(plot_timeline(day)),
        faults_png=figure_to_data_uri(plot_faults(day)) if day.faults else None,
        slo_png=figure_to_data_uri(plot_slo_session(day)) if day.slo_series else None,
    )
    path = out / REPORT_NAME
    path.write_text(html)
    return path

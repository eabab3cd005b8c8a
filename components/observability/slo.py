"""SLOs as code: an OpenSLO (v1) file -> ``Slo`` objects -> Prometheus rules.

The one source is ``slo/platform.yaml`` (OpenSLO ``kind: SLO`` documents, ratio
indicators on Prometheus counters). From it come, per SLO:

- recording rules ``slo:error_ratio:rate<W>{slo=...}`` for every window any
  alert reads (5m, 30m, 1h, 6h, 3d and the SLO's own window, e.g. 28d);
- multi-window, multi-burn-rate alerts (the SRE workbook's table): page when
  the 1h and 5m error ratios both exceed 14.4x the budget rate, page at 6x on
  6h and 30m, ticket at 1x on 3d and 6h (``BURN_ALERTS``);
- error-budget alerts at 50%, 75% and 90% of the window's budget burned
  (``BUDGET_ALERTS``); every alert carries its runbook link.

The twin evaluates the very same ``AlertRule`` objects over its simulated-time
samples (``slo_eval``), so the rules Prometheus loads and the twin's verdicts
come from one definition. Indicator queries are restricted to one plain
selector each (``metric{label="v", label=~"re"}``) naming a catalogue metric:
that is what both evaluators understand, and the file is refused otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .catalogue import series_names

API_VERSION = "openslo/v1"
RUNBOOK = "docs/runbooks.md"

BURN_ALERTS: tuple[tuple[str, str, float, str, str], ...] = (
    ("1h", "5m", 14.4, "page", "2m"),
    ("6h", "30m", 6.0, "page", "15m"),
    ("3d", "6h", 1.0, "ticket", "1h"),
)
"""(long window, short window, burn-rate factor, severity, ``for:``): both windows must exceed factor x
(1 - target), for the ``for:`` duration (pending until then: a blip shorter than that never pages)."""

BUDGET_ALERTS: tuple[float, ...] = (0.50, 0.75, 0.90)
"""Fractions of the SLO window's error budget whose burning raises an alert (no ``for:``: a
budget once burned stays burned for hours, there is no blip to ride out)."""

_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_SELECTOR = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$")
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')


class SloError(ValueError):
    """A bad SLO file: the message names the file, the document and the field."""


def duration_s(text: str) -> int:
    """``5m`` -> 300. Prometheus durations of one unit (s, m, h, d, w)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 5m, 1h, 28d")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def scaled(duration: str, time_scale: int) -> str:
    """``duration`` divided by ``time_scale`` (1: unchanged), in seconds: ``scaled("1h", 60)`` -> ``60s``.
    The test variant of the rules (a real Prometheus over a one-minute test) runs every window and
    ``for:`` this much faster; ValueError if a duration does not divide into whole seconds."""
    if time_scale == 1 or not duration:
        return duration
    seconds, rest = divmod(duration_s(duration), time_scale)
    if rest or seconds < 1:
        raise ValueError(f"{duration} / {time_scale} is not a whole number of seconds")
    return f"{seconds}s"


@dataclass(frozen=True)
class Selector:
    """One instant-vector selector: a metric name and label matchers (label, op, value)."""

    metric: str
    matchers: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> "Selector":
        """``bdt_x_total{a="1",b=~"5.."}`` -> Selector; ValueError naming what is wrong."""
        match = _SELECTOR.match(text)
        if not match:
            raise ValueError(f"{text!r} is not one plain selector metric{{label=\"value\"}}")
        matchers = []
        body = (match.group(2) or "").strip()
        for part in filter(None, (p.strip() for p in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', body))):
            m = _MATCHER.match(part)
            if not m:
                raise ValueError(f"{part!r} is not a label matcher like label=\"value\"")
            matchers.append((m.group(1), m.group(2), m.group(3)))
        return cls(match.group(1), tuple(matchers))

    def promql(self) -> str:
        if not self.matchers:
            return self.metric
        return self.metric + "{" + ",".join(f'{k}{op}"{v}"' for k, op, v in self.matchers) + "}"

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        """Whether a sample ``name{labels}`` is selected (regexes anchored, as in PromQL)."""
        if name != self.metric:
            return False
        for key, op, value in self.matchers:
            have = labels.get(key, "")
            if op == "=" and have != value or op == "!=" and have == value:
                return False
            if op in ("=~", "!~") and (re.fullmatch(value, have) is None) == (op == "=~"):
                return False
        return True


@dataclass(frozen=True)
class Slo:
    """One SLO: ``target`` of events good over a rolling ``window``; ``good`` or ``bad`` over ``total``."""

    name: str
    service: str
    description: str
    target: float
    window: str
    total: Selector
    good: Selector | None = None
    bad: Selector | None = None

    @property
    def budget(self) -> float:
        """The error budget as a ratio: 1 - target."""
        return 1.0 - self.target

    @property
    def runbook(self) -> str:
        return f"{RUNBOOK}#{self.name}"

    def error_ratio_expr(self, window: str) -> str:
        """PromQL of the error ratio over ``window`` (no data -> no series: alerts stay quiet)."""
        total = f"sum(rate({self.total.promql()}[{window}]))"
        if self.bad is not None:
            return f"(sum(rate({self.bad.promql()}[{window}])) or vector(0)) / {total}"
        assert self.good is not None
        return f"1 - (sum(rate({self.good.promql()}[{window}])) / {total})"


BUDGET_RECORD = "slo:error_budget_burned:ratio"
"""Recorded per SLO: the share of its window's error budget burned (the budget alerts' quantity)."""


def record_name(window: str) -> str:
    return f"slo:error_ratio:rate{window}"


@dataclass(frozen=True)
class AlertRule:
    """One generated alert; ``windows`` all must exceed ``threshold`` (error ratio) at once, for
    ``for_`` (a Prometheus duration; "" fires at the first evaluation)."""

    alert: str
    slo: Slo
    windows: tuple[str, ...]
    threshold: float
    labels: tuple[tuple[str, str], ...]
    summary: str
    for_: str = ""

    def expr(self) -> str:
        return " and ".join(f'{record_name(w)}{{slo="{self.slo.name}"}} > {self.threshold!r}'
                            for w in self.windows)

    @property
    def for_s(self) -> int:
        return duration_s(self.for_) if self.for_ else 0

    def to_rule(self) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.alert, "expr": self.expr()}
        if self.for_:
            rule["for"] = self.for_
        rule["labels"] = dict(self.labels)
        rule["annotations"] = {"summary": self.summary, "runbook_url": self.slo.runbook}
        return rule


def alert_rules(slo: Slo, time_scale: int = 1) -> list[AlertRule]:
    """The burn-rate alerts then the budget alerts of one SLO; with ``time_scale`` > 1 the test
    variant (windows and ``for:`` divided by it, labels and summaries those of the real rules, so
    an alert is the same alert at either speed)."""
    k = time_scale
    rules = []
    for long, short, factor, severity, for_ in BURN_ALERTS:
        rules.append(AlertRule(
            "SLOBurnRate", slo, (scaled(long, k), scaled(short, k)), round(factor * slo.budget, 12),
            (("slo", slo.name), ("service", slo.service), ("severity", severity), ("long_window", long),
             ("short_window", short)),
            f"{slo.name}: error budget burning at over {factor:g}x ({long} and {short} windows)", scaled(for_, k)))
    for fraction in BUDGET_ALERTS:
        percent = f"{fraction * 100:.0f}"
        rules.append(AlertRule(
            "SLOErrorBudgetBurned", slo, (scaled(slo.window, k),), round(fraction * slo.budget, 12),
            (("slo", slo.name), ("service", slo.service), ("severity", "ticket" if fraction < 0.9 else "page"),
             ("burned", percent)),
            f"{slo.name}: over {percent}% of the {slo.window} error budget burned"))
    return rules


def windows_of(slo: Slo, time_scale: int = 1) -> list[str]:
    """Every window a rule of ``slo`` reads, shortest first."""
    seen = {w for rule in alert_rules(slo, time_scale) for w in rule.windows}
    return sorted(seen, key=duration_s)


def prometheus_rules(slos: list[Slo], time_scale: int = 1) -> dict[str, Any]:
    """The rule file (as data): one group per SLO, its recording rules then its alerts.

    One group, because Prometheus runs a group's rules in order at each evaluation:
    the alerts read the error ratios recorded at that same instant. Split into
    two groups, an alert may read the previous evaluation's ratio (one interval
    late), and the twin's evaluator and Prometheus would disagree at the edges.
    ``time_scale``: the test variant (see ``alert_rules``)."""
    groups = []
    for slo in slos:
        labels = {"slo": slo.name, "service": slo.service}
        recording = [{"record": record_name(w), "expr": slo.error_ratio_expr(w), "labels": labels}
                     for w in windows_of(slo, time_scale)]
        window = scaled(slo.window, time_scale)
        recording.append({"record": BUDGET_RECORD, "labels": labels,  # for dashboards: 1.0 = all of it
                          "expr": f'{record_name(window)}{{slo="{slo.name}"}} / {round(slo.budget, 12)!r}'})
        groups.append({"name": f"slo:{slo.name}",
                       "rules": recording + [r.to_rule() for r in alert_rules(slo, time_scale)]})
    return {"groups": groups}


def render_rules(slos: list[Slo], time_scale: int = 1) -> str:
    """The rule file as YAML text, with a header saying where it comes from."""
    header = "# Generated from slo/platform.yaml by `twin slo-rules`; do not edit by hand.\n"
    if time_scale != 1:
        header += f"# TEST VARIANT: every window and for: divided by {time_scale} (--time-scale).\n"
    return header + yaml.safe_dump(prometheus_rules(slos, time_scale), sort_keys=False, width=200)


# -- reading the OpenSLO file ---------------------------------------------------------------
def _field(doc: dict, path: str, where: str) -> Any:
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            raise SloError(f"{where}: {path}: missing")
        node = node[key]
    return node


def _selector(doc: dict, path: str, where: str) -> Selector:
    query = _field(doc, path, where)
    try:
        selector = Selector.parse(str(query))
    except ValueError as exc:
        raise SloError(f"{where}: {path}: {exc}") from None
    if selector.metric not in series_names():
        raise SloError(f"{where}: {path}: {selector.metric!r} is not a metric of the catalogue")
    return selector


def _slo(doc: Any, where: str) -> Slo:
    if not isinstance(doc, dict):
        raise SloError(f"{where}: must be a mapping")
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != "SLO":
        raise SloError(f"{where}: apiVersion/kind: must be {API_VERSION} / SLO")
    name = str(_field(doc, "metadata.name", where))
    where = f"{where} ({name})"
    target = _field(doc, "spec.objectives", where)
    if not isinstance(target, list) or len(target) != 1 or not isinstance(target[0], dict):
        raise SloError(f"{where}: spec.objectives: must hold exactly one objective")
    value = target[0].get("target")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise SloError(f"{where}: spec.objectives[0].target: must be a number between 0 and 1, got {value!r}")
    windows = _field(doc, "spec.timeWindow", where)
    if not isinstance(windows, list) or len(windows) != 1 or not isinstance(windows[0], dict):
        raise SloError(f"{where}: spec.timeWindow: must hold exactly one window")
    window = str(windows[0].get("duration"))
    try:
        duration_s(window)
    except ValueError as exc:
        raise SloError(f"{where}: spec.timeWindow[0].duration: {exc}") from None
    ratio = "spec.indicator.spec.ratioMetric"
    kinds = [k for k in ("good", "bad") if k in _field(doc, ratio, where)]
    if len(kinds) != 1:
        raise SloError(f"{where}: {ratio}: needs exactly one of good or bad")
    source = ".metricSource.spec.query"
    picked = {kinds[0]: _selector(doc, f"{ratio}.{kinds[0]}{source}", where)}
    return Slo(name=name, service=str(_field(doc, "spec.service", where)),
               description=str(doc["spec"].get("description", "")), target=float(value), window=window,
               total=_selector(doc, f"{ratio}.total{source}", where), **picked)


def parse_slos(text: str, source: str = "<string>") -> list[Slo]:
    """Every SLO document of an OpenSLO YAML text (``---`` separated); SloError on a bad one."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise SloError(f"{source}: YAML syntax error: {str(exc).splitlines()[0]}") from None
    slos = [_slo(doc, f"{source}: document {i + 1}") for i, doc in enumerate(docs)]
    names = [s.name for s in slos]
    for name in names:
        if names.count(name) > 1:
            raise SloError(f"{source}: metadata.name: {name!r} appears twice")
    if not slos:
        raise SloError(f"{source}: holds no SLO")
    return slos


def load_slos(path: str | Path) -> list[Slo]:
    path = Path(path)
    return parse_slos(path.read_text(), str(path))


DEFAULT_SLO_FILE = Path(__file__).resolve().parents[2] / "slo" / "platform.yaml"

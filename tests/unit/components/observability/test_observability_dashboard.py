"""The Grafana dashboard queries only metrics that exist: the registry's series or the SLO recording rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

from components.observability.catalogue import series_names
from components.observability.slo import DEFAULT_SLO_FILE, load_slos, prometheus_rules

ROOT = Path(__file__).resolve().parents[4]
# Metric-shaped words of PromQL that are functions, keywords or labels, not metrics.
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_OURS = ("bdt_", "slo:")


def _known() -> set[str]:
    rules = prometheus_rules(load_slos(DEFAULT_SLO_FILE))
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    return set(series_names()) | recorded


def names_in(expr: str) -> set[str]:
    """The metric names a query reads (ours start with ``bdt_`` or ``slo:``), label values stripped."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    return {n for n in _NAME.findall(bare) if n.startswith(_OURS)}


def test_names_in_finds_metrics_not_label_values():
    assert names_in('sum(rate(bdt_fills_total{venue="bdt_fake"}[5m])) / slo:error_ratio:rate1h') == {
        "bdt_fills_total", "slo:error_ratio:rate1h"}


def test_every_dashboard_query_names_a_metric_that_exists():
    dashboard = json.loads((ROOT / "docs" / "grafana" / "platform.json").read_text())
    known = _known()
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 15
    for expr in exprs:
        names = names_in(expr)
        assert names, f"query names no metric: {expr}"
        assert names <= known, f"unknown metric(s) {sorted(names - known)} in: {expr}"

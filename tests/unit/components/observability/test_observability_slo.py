"""SLOs as code: the OpenSLO file, the generated Prometheus rules checked and unit-tested by
promtool, and the twin's evaluator agreeing with Prometheus on the same synthetic series."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, strategies as st

from components.observability.catalogue import BY_NAME
from components.observability.slo import (
    DEFAULT_SLO_FILE, SloError, alert_rules, load_slos, parse_slos, render_rules)
from components.observability.slo_eval import Series, budget_burned, firings

ROOT = Path(__file__).resolve().parents[4]
RULES = ROOT / "slo" / "rules.yaml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`)")
SLOS = load_slos(DEFAULT_SLO_FILE)
MINUTES = 240


def test_rules_file_is_generated_from_the_slo_file():
    assert RULES.read_text() == render_rules(SLOS), "slo/rules.yaml is stale: run `twin slo-rules`"


def test_every_slo_has_three_burn_alerts_and_three_budget_alerts_with_a_runbook_anchor():
    runbook = (ROOT / "docs" / "runbooks.md").read_text()
    for slo in SLOS:
        rules = alert_rules(slo)
        assert [r.windows for r in rules[:3]] == [("1h", "5m"), ("6h", "30m"), ("3d", "6h")]
        assert [dict(r.labels)["burned"] for r in rules[3:]] == ["50", "75", "90"]
        assert f'<a id="{slo.name}"></a>' in runbook, slo.name


def test_latency_slos_read_a_bucket_edge_that_exists():
    for slo in SLOS:
        le = dict((k, v) for k, _op, v in (slo.good.matchers if slo.good else ())).get("le")
        if le is not None:
            assert float(le) in BY_NAME["bdt_segment_duration_seconds"].buckets, slo.name


@needs_promtool
def test_promtool_check_rules_accepts_the_generated_rules():
    done = subprocess.run([PROMTOOL, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _doc(**over) -> str:
    base = yaml.safe_load(DEFAULT_SLO_FILE.read_text().split("---")[0])
    base["spec"].update(over)
    return yaml.safe_dump(base)


@pytest.mark.parametrize("change, message", [
    ({"objectives": [{"target": 1.5}]}, "spec.objectives[0].target: must be a number between 0 and 1"),
    ({"timeWindow": [{"duration": "4 weeks"}]}, "spec.timeWindow[0].duration: '4 weeks' is not a duration"),
    ({"service": None, "indicator": {"spec": {"ratioMetric": {"good": {"metricSource": {"spec": {
        "query": "bdt_nope_total"}}}, "total": {"metricSource": {"spec": {"query": "bdt_fills_total"}}}}}}},
     "'bdt_nope_total' is not a metric of the catalogue"),
    ({"indicator": {"spec": {"ratioMetric": {"good": {"metricSource": {"spec": {
        "query": "sum(rate(bdt_fills_total[5m]))"}}}, "total": {"metricSource": {"spec": {
            "query": "bdt_fills_total"}}}}}}}, "is not one plain selector"),
])
def test_a_bad_slo_file_is_refused_naming_the_field(change, message):
    with pytest.raises(SloError) as err:
        parse_slos(_doc(**change), "x.yaml")
    assert str(err.value).startswith("x.yaml: document 1 (gateway-latency): ") and message in str(err.value)


@given(st.text(max_size=60))
def test_any_text_is_parsed_or_refused_with_a_slo_error(text):
    try:
        parse_slos(text, "fuzz.yaml")
    except SloError as exc:
        assert str(exc).startswith("fuzz.yaml")


# -- the same synthetic series through promtool and through the twin's evaluator -------------
def _fault_series() -> dict[str, list[float]]:
    """Per minute: 100 child orders to XNAS, and from minute 100 half of them rejected (a venue
    outage); risk decisions all within budget, except 60% too slow from minute 150 to 180."""
    t = np.arange(MINUTES + 1)
    rejects = np.where(t > 100, (t - 100) * 50, 0)
    slow_rate = np.where((t > 150) & (t <= 180), 60, 0)
    slow = np.cumsum(slow_rate)
    return {
        'bdt_venue_child_orders_total{venue="XNAS"}': (t * 100).tolist(),
        'bdt_venue_child_rejects_total{reason="VENUE_DOWN",venue="XNAS"}': rejects.tolist(),
        'bdt_segment_duration_seconds_count{segment="risk"}': (t * 100).tolist(),
        'bdt_segment_duration_seconds_bucket{le="0.05",segment="risk"}': (t * 100 - slow).tolist(),
        'bdt_orders_received_total': (t * 100).tolist(),
    }


def _rows(series: dict[str, list[float]]):
    for text, values in series.items():
        name, _, body = text.partition("{")
        labels = dict(p.split("=") for p in body.rstrip("}").split(",")) if body else {}
        labels = json.dumps({k: v.strip('"') for k, v in labels.items()}, sort_keys=True)
        for minute, value in enumerate(values):
            yield minute * 60.0, name, labels, float(value)


def _firing_at(fired, minute: int) -> dict[str, list[dict[str, str]]]:
    """alertname -> labels of each alert firing at ``minute`` (the evaluator's verdict)."""
    out: dict[str, list[dict[str, str]]] = {}
    for f in fired:
        if f.start_s <= minute * 60 and (f.end_s is None or minute * 60 < f.end_s):
            out.setdefault(f.alert, []).append(dict(f.labels))
    return out


EVAL_MINUTES = (60, 99, 101, 102, 103, 105, 110, 113, 114, 117, 118, 125, 155, 165, 175, 200, 240)


def test_the_evaluator_sees_the_outage_page_and_the_slow_risk_spell():
    series = Series.from_rows(_rows(_fault_series()))
    fired = [f for slo in SLOS for f in firings(series, slo)]
    assert _firing_at(fired, 99) == {}
    fast = {(a["slo"], a["long_window"]) for a in _firing_at(fired, 125).get("SLOBurnRate", [])}
    assert ("venue-acceptance", "1h") in fast  # 50% errors is 50x the 1% budget rate
    assert ("risk-latency", "1h") in {(a["slo"], a["long_window"])
                                      for a in _firing_at(fired, 175).get("SLOBurnRate", [])}
    venue = next(s for s in SLOS if s.name == "venue-acceptance")
    burned = budget_burned(series, venue)
    assert np.isnan(burned[0]) and burned[100] == 0 and burned[-1] > 1  # the day's budget is gone


@needs_promtool
def test_promtool_and_the_twin_evaluator_agree_on_every_alert(tmp_path):
    series_text = _fault_series()
    fired = [f for slo in SLOS for f in firings(Series.from_rows(_rows(series_text)), slo)]
    tests = []
    for minute in EVAL_MINUTES:
        now = _firing_at(fired, minute)
        for alertname in ("SLOBurnRate", "SLOErrorBudgetBurned"):
            exp = [{"exp_labels": labels, "exp_annotations": _annotations(alertname, labels)}
                   for labels in now.get(alertname, [])]
            tests.append({"eval_time": f"{minute}m", "alertname": alertname, "exp_alerts": exp})
    assert any(t["exp_alerts"] for t in tests) and any(not t["exp_alerts"] for t in tests)
    spec = {"rule_files": [str(RULES)], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": k, "values": " ".join(f"{v:g}" for v in vs)} for k, vs in series_text.items()],
        "alert_rule_test": tests}]}
    path = tmp_path / "slo_test.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False, width=100000))
    done = subprocess.run([PROMTOOL, "test", "rules", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]


def _annotations(alertname: str, labels: dict[str, str]) -> dict[str, str]:
    slo = next(s for s in SLOS if s.name == labels["slo"])
    rule = next(r for r in alert_rules(slo) if r.alert == alertname and dict(r.labels) == labels)
    return rule.to_rule()["annotations"]


def test_twin_slo_rules_writes_checks_and_refuses(tmp_path, capsys):
    from twin.cli import main

    out = tmp_path / "rules.yaml"
    assert main(["slo-rules", "--out", str(out), "--check"]) == 1  # missing is stale
    assert main(["slo-rules", "--out", str(out)]) == 0 and out.read_text() == RULES.read_text()
    assert main(["slo-rules", "--out", str(out), "--check"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(_doc(objectives=[{"target": 2}]))
    assert main(["slo-rules", str(bad), "--out", str(out)]) == 2
    assert "spec.objectives[0].target" in capsys.readouterr().err

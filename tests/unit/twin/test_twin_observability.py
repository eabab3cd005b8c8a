"""The twin's metrics over simulated time and its SLO verdicts, from a full (smoke) run."""

from __future__ import annotations

import json
from collections import Counter

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from components.domain.events import EventType
from scenarios.config import builtin_scenario_path, parse_scenario
from twin.runner import run_scenario

XNAS_LINE = '  - {name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030", latency_ms: 0.5}\n'
STORM = '{kind: REJECT_STORM, at: "09:30", duration_s: 1800, fraction: 1.0}'


def smoke_text(stress: str | None = None) -> str:
    text = builtin_scenario_path("smoke").read_text()
    if stress:
        assert XNAS_LINE in text
        text = text.replace(XNAS_LINE, XNAS_LINE.rstrip("}\n") + f", stress: [{stress}]}}\n")
    return text


@pytest.fixture(scope="module")
def storm_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("storm")
    result = run_scenario(parse_scenario(smoke_text(STORM), "smoke+storm"), seed=7, out_dir=out)
    return result, out


def _final_samples(out) -> dict[tuple[str, tuple], float]:
    values = {}
    for family in text_string_to_metric_families((out / "metrics.prom").read_text()):
        for s in family.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values


def test_final_snapshot_counts_what_the_event_log_holds(storm_run):
    result, out = storm_run
    events = list(result.world.log.read())
    prom = _final_samples(out)
    finals = Counter(e.status.value for e in events if e.status is not None
                     and e.status.value in ("SETTLED", "BLOCKED", "REJECTED", "CANCELED", "EXPIRED"))
    for state, n in finals.items():
        assert prom[("bdt_orders_final_total", (("state", state),))] == n, state
    rejects = Counter((e.details["venue"], e.details["reason"]) for e in events
                      if e.event_type is EventType.CHILD_ORDER_REJECTED)
    assert rejects
    for (venue, reason), n in rejects.items():
        assert prom[("bdt_venue_child_rejects_total", (("reason", reason), ("venue", venue)))] == n


def test_time_series_ends_at_the_final_snapshot_and_never_decreases(storm_run):
    _result, out = storm_run
    frame = pd.read_parquet(out / "metrics.parquet")
    prom = _final_samples(out)
    counters = frame[frame["name"].str.endswith("_total")]
    for (name, labels), group in counters.groupby(["name", "labels"]):
        values = group.sort_values("time_ns")["value"].to_numpy()
        assert (values[1:] >= values[:-1]).all(), name
        key = (name, tuple(sorted(json.loads(labels).items())))
        assert values[-1] == prom[key], key


def test_a_reject_storm_fires_the_venue_fast_burn_page_during_the_storm(storm_run):
    result, out = storm_run
    slo = json.loads((out / "slo.json").read_text())
    fast = [a for a in slo["alerts"] if a["labels"]["slo"] == "venue-acceptance"
            and a["labels"].get("long_window") == "1h"]
    assert fast, slo["alerts"]
    storm_start = pd.Timestamp("2026-11-24 09:30", tz="America/New_York").timestamp()
    assert storm_start <= fast[0]["start_s"] <= storm_start + 1800
    venue = next(s for s in slo["slos"] if s["name"] == "venue-acceptance")
    assert venue["budget_burned"] > 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["slo"]["alerts"] == slo["alerts"]
    html = (out / "report.html").read_text()
    assert "SLOs (slo/platform.yaml" in html and "venue-acceptance" in html and "SLO alert timeline" in html


def test_a_calm_day_fires_no_venue_alert(tmp_path):
    run_scenario(parse_scenario(smoke_text(), "smoke"), seed=7, out_dir=tmp_path)
    slo = json.loads((tmp_path / "slo.json").read_text())
    assert not [a for a in slo["alerts"] if a["labels"]["slo"] == "venue-acceptance"]
    assert "No SLO alert fired" in (tmp_path / "report.html").read_text() or slo["alerts"]


def test_traces_json_holds_one_trace_per_order_with_the_risk_decisions(storm_run):
    from components.observability.traces import trace_id_of

    result, out = storm_run
    events = list(result.world.log.read())
    spans = json.loads((out / "traces.json").read_text())["resourceSpans"][0]["scopeSpans"][0]["spans"]
    received = [e for e in events if e.event_type is EventType.ORDER_RECEIVED]
    roots = [s for s in spans if not s["parentSpanId"]]
    assert sorted(s["traceId"] for s in roots) == sorted(trace_id_of(e.trace_id) for e in received)
    approved = next(e for e in events if e.event_type is EventType.ORDER_RISK_APPROVED)
    risk = next(s for s in spans if s["name"] == "risk.check" and s["traceId"] == trace_id_of(approved.trace_id))
    assert [x["name"] for x in risk["events"]] == [f"policy {d.policy}" for d in approved.policy_decisions]
    assert int(risk["endTimeUnixNano"]) == approved.timestamp_utc  # simulated time

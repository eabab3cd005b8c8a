"""The capacity report renders from a sweep summary and a result, with its plots and tables."""

from __future__ import annotations

import pandas as pd

from reports.capacity import write_capacity_report

SERVICES = ("gateway", "oms", "risk", "router", "post_trade")


def _summary() -> pd.DataFrame:
    rows = []
    for rate, risk_p99 in ((5.0, 30.0), (10.0, 80.0)):
        row = {"config": "c", "rate_per_s": rate, "seeds": 2, "throughput_per_s": rate}
        for s in ("gateway", "oms", "risk", "routing"):
            for p in ("p50", "p95", "p99"):
                row[f"{s}_{p}_ms"] = risk_p99 if (s, p) == ("risk", "p99") else 5.0
                row[f"{s}_{p}_ms_ci95"] = 1.0
        for n in SERVICES:
            row[f"{n}_utilisation"] = rate / 10 if n == "risk" else 0.1
            row[f"{n}_wait_ms"] = 0.5
        rows.append(row)
    return pd.DataFrame(rows)


def test_the_report_names_the_bottleneck_and_marks_budget_breaches(tmp_path):
    result = {"scenario": "s", "rates": [5.0, 10.0], "replicas": {n: 1 for n in SERVICES}, "seeds": 2,
              "knees": [{"service": "risk", "demand_ms": 100.0, "knee_rate": 8.0, "saturation_rate": 10.0,
                         "latency_knee_rate": 10.0, "peak_utilisation": 1.0}]
              + [{"service": n, "demand_ms": 1.0, "knee_rate": None, "saturation_rate": None,
                  "latency_knee_rate": None, "peak_utilisation": 0.1} for n in SERVICES if n != "risk"],
              "bottleneck": "risk", "recommendation": None,
              "load_tests": [{"source": "a_stats.csv", "users": 5, "measured_rps": 40.0, "predicted_rps": 44.0,
                              "measured_p50_ms": 20.0, "predicted_p50_ms": 18.0, "measured_p95_ms": 100.0,
                              "predicted_p95_ms": 60.0, "p95_error": -0.4}]}
    html = write_capacity_report(tmp_path / "c.html", _summary(), result).read_text()
    assert "Bottleneck: risk</strong>: its utilisation reaches 80% at\n8.0 orders/s" in html
    assert html.count("data:image/png;base64,") == 3
    assert '<td class="bad">80.0</td>' in html  # risk p99 80 ms over its 50 ms budget
    assert '<td class="bad">-40%</td>' in html  # a prediction more than 25% off
    assert "&plusmn; 1.0" in html  # several seeds: the confidence half-width is shown

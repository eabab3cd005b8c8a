"""reports.timeseries: latency per segment over time, the service plots, and their place in report.html."""

from __future__ import annotations

import pandas as pd
import pytest

from reports import timeseries
from reports.html import write_report
from reports.summary import build_summary
from tests.unit.reports.test_report_summary import MS, T0, front

NS = 1_000_000_000
MINUTE = 60 * NS


def two_buckets() -> pd.DataFrame:
    """Three orders in the first minute (10/20/30/5 ms segments), one a minute later."""
    rows = front("A", T0) + front("B", T0 + 10 * NS) + front("C", T0 + 20 * NS) + front("D", T0 + MINUTE)
    return pd.DataFrame.from_records(rows)


def test_latency_is_bucketed_by_receipt_with_percentiles_per_segment():
    frame = timeseries.latency_over_time(two_buckets(), 60.0)
    first = (T0 + 10 * MS) // MINUTE * MINUTE  # T0 is 20 s into its minute: A, B, C share it, D is next
    oms = frame[frame["segment"] == "oms"]
    assert oms["t_ns"].tolist() == [first, first + MINUTE] and oms["orders"].tolist() == [3, 1]
    assert oms["p50"].tolist() == pytest.approx([20.0] * len(oms)) and oms["p99"].max() == pytest.approx(20.0)
    assert set(frame["segment"]) == {"gateway", "oms", "risk", "routing"}


def test_latency_over_time_of_nothing_is_empty():
    assert timeseries.latency_over_time(None, 60.0).empty
    assert timeseries.latency_over_time(two_buckets(), 0).empty


def series(services=("oms", "risk", "idle")) -> pd.DataFrame:
    rows = []
    for k, name in enumerate(services):
        for i in range(1, 4):
            busy = name != "idle"
            rows.append({"service": name, "t_ns": T0 + i * 5 * NS, "interval_s": 5.0, "arrivals": 2 * busy,
                         "handled": 2 * busy, "arrivals_per_s": 0.4 * busy, "utilisation": 0.1 * k * busy,
                         "queue_length": i * busy})
    return pd.DataFrame(rows)


def test_the_service_plot_has_three_labelled_time_panels_and_names_idle_services():
    fig = timeseries.plot_service_timeseries(series())
    arrivals, queue, utilisation = fig.axes
    assert [line.get_label() for line in arrivals.get_lines()] == ["oms", "risk"]
    assert arrivals.get_ylabel() and queue.get_ylabel() and utilisation.get_ylabel() == "busy fraction"
    assert "time of day" in utilisation.get_xlabel()
    assert "idle: idle" in fig._suptitle.get_text() and "every 5 s" in fig._suptitle.get_text()


def test_latency_bucket_is_a_minute_at_least_and_about_thirty_per_session():
    assert timeseries.latency_bucket_s(5.0, 1800) == 60.0
    assert timeseries.latency_bucket_s(60.0, 23_400) == 780.0


def test_the_report_gets_the_services_table_and_plots_only_with_the_series(tmp_path):
    events = two_buckets()
    orders = pd.DataFrame({"order_id": ["A", "B", "C", "D"], "final_status": ["ROUTED"] * 4})
    summary = build_summary(scenario="ts", seed=1, fingerprint="ab" * 32, invariants=[], events=events,
                            orders=orders, wall_seconds=1.0, sim_seconds=60.0,
                            extra={"requests": 1234, "refused_requests_by_status": {"422": 3}})
    summary["services"] = {"file": timeseries.FILE, "interval_s": 5.0, "session_s": 1800.0, "services": {
        "oms": {"handled": 12345, "max_queue": 3, "session_utilisation": 0.0123, "peak_utilisation": 0.5,
                "peak_arrivals_per_s": 2.0, "mean_queue": 0.25}}}
    bare = write_report(summary, events, orders, tmp_path).read_text()
    assert "<td>oms</td><td class=\"num\">12,345</td><td class=\"num\">1.2%</td>" in bare
    assert "Services over the session" not in bare  # no parquet in the folder
    assert "<td>refused requests by status: 422</td><td class=\"num\">3</td>" in bare
    assert "<td>requests</td><td class=\"num\">1,234</td>" in bare
    series().to_parquet(tmp_path / timeseries.FILE)
    html = write_report(summary, events, orders, tmp_path).read_text()
    assert "<h3>Services over the session</h3>" in html and "<h3>Latency per segment over the day</h3>" in html

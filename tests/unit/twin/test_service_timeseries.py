"""twin.service_timeseries: the sampling grid, per-interval figures from snapshots, and, on a real smoke run,
the parquet table, the summary section and the report's readable tables; sampling moves no fingerprint."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pandas as pd
import pytest

from twin.service_timeseries import FILE, sample_interval_ns, timeseries_frame
from twin.services import ServiceStats

NS = 1_000_000_000


@pytest.mark.parametrize("span_s, step_s", [(1800, 5), (23_400, 60), (60, 1), (400, 1), (401, 2), (10**7, 3600)])
def test_the_grid_is_the_smallest_step_with_at_most_400_samples(span_s, step_s):
    assert sample_interval_ns(0, span_s * NS) == step_s * NS


def fake_service(name: str, samples: list[tuple[int, int, int, int]], replicas: int | None = None):
    service = SimpleNamespace(name=name, stats=ServiceStats(samples=samples))
    if replicas is not None:
        service.replicas = replicas
    return service


def test_interval_figures_are_differences_of_snapshots():
    # (t, in service, handled so far, busy ns so far)
    oms = fake_service("oms", [(0, 0, 0, 0), (10 * NS, 3, 7, 4 * NS), (20 * NS, 0, 12, 14 * NS)])
    frame = timeseries_frame([oms])
    assert frame["t_ns"].tolist() == [10 * NS, 20 * NS]
    assert frame["handled"].tolist() == [7, 5]
    assert frame["arrivals"].tolist() == [10, 2]  # 7 out + 3 stayed; 5 out - 3 fewer in service
    assert frame["arrivals_per_s"].tolist() == [1.0, 0.2]
    assert frame["utilisation"].tolist() == [0.4, 1.0]  # 10 s busy in a 10 s interval: capped at 1
    assert frame["queue_length"].tolist() == [3, 0]


def test_a_pool_is_utilised_per_replica_and_an_unsampled_service_has_no_rows():
    pool = fake_service("risk", [(0, 0, 0, 0), (10 * NS, 0, 4, 5 * NS)], replicas=2)
    idle = fake_service("router", [])
    frame = timeseries_frame([pool, idle])
    assert frame["service"].tolist() == ["risk"] and frame["utilisation"].tolist() == [0.25]


def test_the_run_folder_has_the_series_and_the_report_shows_them(smoke_run):
    out = smoke_run.out_dir
    frame = pd.read_parquet(out / FILE)
    services = smoke_run.world.network.services
    assert set(frame["service"]) == set(services)
    session = smoke_run.world.scenario.session
    per_service = frame[frame["service"] == "oms"]
    assert len(per_service) == 360  # 30 minutes on a 5 s grid
    assert per_service["t_ns"].iloc[0] == session.open_ns() + 5 * NS
    assert per_service["t_ns"].iloc[-1] == session.close_ns()
    assert frame["utilisation"].between(0, 1).all() and (frame["arrivals"] >= 0).all()
    for name, service in services.items():  # the session's messages are part of the run's
        assert 0 < frame.loc[frame["service"] == name, "handled"].sum() <= service.stats.handled
    summary = json.loads((out / "summary.json").read_text())
    section = summary["services"]
    assert section["file"] == FILE and section["interval_s"] == 5.0
    assert section["services"]["oms"]["handled"] == services["oms"].stats.handled
    assert section["services"]["oms"]["peak_arrivals_per_s"] == pytest.approx(per_service["arrivals_per_s"].max())
    assert "services" not in summary["extra"]  # the raw dictionary is gone from "extra"
    html = (out / "report.html").read_text()
    assert "<h2>Services (queues, utilisation and arrivals over the session)</h2>" in html
    assert "Services over the session" in html and "Latency per segment over the day" in html
    assert "<h2>Extra</h2>" not in html and "<td>venue child orders</td>" in html
    assert "trade date 2026-11-24</h1>" in html  # settlement on T+1 does not add a day


def test_sampling_changes_no_event(smoke_scenario, smoke_run):
    """The run with outputs (sampled) and without (not sampled) have the same fingerprint."""
    from twin.runner import run_scenario

    unsampled = run_scenario(smoke_scenario)
    assert all(not s.stats.samples for s in unsampled.world.network.services.values())
    assert all(s.stats.samples for s in smoke_run.world.network.services.values())
    assert unsampled.fingerprint == smoke_run.fingerprint

"""reports.figure_pool: a report's figures drawn in forked workers are the same bytes, in the same order, as
drawn one after another in process; the pool's size and its switch; errors come back."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.money import CENT
from reports import figure_pool, plots, tca as tca_report, timeseries
from reports.figure_pool import WORKERS_ENV, FigureJob, pool_size, render
from reports.html import write_report
from reports.realism import realism_section
from reports.surveillance import run_section
from tests.unit.reports.test_report_html import embedded_pngs, make_summary, run_frames
from tests.unit.reports.test_report_realism import PX, samples_from_mids
from tests.unit.reports.test_report_timeseries import series

needs_fork = pytest.mark.skipif(not figure_pool.fork_available(), reason="no fork on this platform")


@pytest.fixture(autouse=True)
def _single_threaded(monkeypatch):
    """These tests are about the pool itself: an earlier test in this pytest worker may have left a daemon
    thread behind (the guard against forking beside another thread has its own test,
    test_figure_pool_threads.py), so the pool sees this process as the outputs phase does: one thread."""
    monkeypatch.setattr(figure_pool.threading, "active_count", lambda: 1)


def _curve(labels: int) -> dict:
    sweep = [{"labels": labels, "recall": r, "precision": 1.0 - r / 2} for r in (0.25, 0.5, 1.0)]
    return {"labels": labels, "precision": 0.75, "recall": 0.5, "f1": 0.6, "sweep": sweep}


def every_section_summary(run_dir: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """A summary with every kind of figure the report draws (13 in all), and its run folder's files."""
    events, orders = run_frames()
    summary = make_summary(events, orders, [])
    samples = {sym: samples_from_mids(PX // CENT + np.cumsum(np.random.default_rng(seed).integers(-3, 4, 90)))
               for seed, sym in enumerate(("AAA", "BBB"))}
    summary["market_realism"] = realism_section(samples, venue="XNAS", sample_interval_s=1.0)
    summary["services"] = {"file": timeseries.FILE, "interval_s": 5.0, "session_s": 1800.0, "services": {
        "oms": {"handled": 12, "max_queue": 3, "session_utilisation": 0.01, "peak_utilisation": 0.5,
                "peak_arrivals_per_s": 2.0, "mean_queue": 0.25}}}
    summary["slo"] = {"interval_s": 5, "slos": [{"name": "order-acceptance", "budget_burned": 0.6, "burn": [[0, 0.0], [3600, 0.2], [7200, 0.6]]}],
                      "alerts": [{"alert": "fast-burn", "start_s": 1800, "end_s": 3600,
                                  "labels": {"slo": "order-acceptance", "long_window": "1h", "severity": "page"}}]}
    summary["tca"] = {"orders": 3, "by_venue": []}
    summary["surveillance"] = run_section({"spoofing": 2}, {"open": 2}, 100, scores={"spoofing": _curve(2)})
    summary["aml"] = {"pr_curves": {"structuring": _curve(3)}, "evaluation": {"typologies": {}}, "workflow": {"funnel": {}}}
    run_dir.mkdir(parents=True, exist_ok=True)
    series().to_parquet(run_dir / timeseries.FILE)
    pd.DataFrame({"venue": ["ARCA", "ARCA", "BATS"], "effective_spread_bps": [1.5, -0.5, 2.0],
                  "price_improvement_bps": [0.2, 0.0, -1.0]}).to_parquet(run_dir / tca_report.ORDERS_FILE)
    return summary, events, orders


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@needs_fork
def test_a_report_drawn_by_workers_is_the_same_bytes_as_drawn_in_process(tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)  # a pool even on a one-core machine
    in_process = write_report(*every_section_summary(tmp_path / "seq"), tmp_path / "seq", workers=1).read_bytes()
    children = _children_cpu()
    pooled = write_report(*every_section_summary(tmp_path / "pool"), tmp_path / "pool", workers=2).read_bytes()
    assert _children_cpu() > children  # the figures were drawn by child processes
    assert len(embedded_pngs(in_process.decode())) == 13
    assert pooled == in_process


@needs_fork
def test_the_environment_variable_switches_the_report_to_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKERS_ENV, "1")
    children = _children_cpu()
    html = write_report(*every_section_summary(tmp_path), tmp_path).read_text()
    assert _children_cpu() == children and len(embedded_pngs(html)) == 13


def parent_only(pid: int) -> plots.Figure:
    """A figure that can be built only outside process ``pid``."""
    if os.getpid() == pid:
        raise AssertionError("drawn in the parent")
    return plots.plot_risk_blocks({"LIMIT": 1})


def slow_then_titled(delay_s: float, title: str) -> plots.Figure:
    time.sleep(delay_s)
    return plots.plot_risk_blocks({title: 1})


def failing(message: str) -> plots.Figure:
    raise ValueError(message)


@needs_fork
def test_workers_draw_the_figures_and_results_keep_the_jobs_order(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    jobs = [FigureJob("slow", slow_then_titled, (0.5, "SLOW")), FigureJob("fast", slow_then_titled, (0.0, "FAST")),
            FigureJob("elsewhere", parent_only, (os.getpid(),))]
    drawn = render(jobs, workers=2)
    assert [d["title"] for d in drawn] == ["slow", "fast", "elsewhere"]
    assert [d["src"] for d in drawn[:2]] == [d["src"] for d in render(jobs[:2], workers=1)]
    with pytest.raises(AssertionError, match="drawn in the parent"):  # the check can fail: in process
        render(jobs[2:], workers=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_figure_raises_its_own_error(workers, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    jobs = [FigureJob("ok", plots.plot_risk_blocks, ({},)), FigureJob("bad", failing, ("no data for figure 2",))]
    with pytest.raises(ValueError, match="no data for figure 2"):
        render(jobs, workers=workers)


def test_pool_size_is_capped_by_cores_and_figures(monkeypatch):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert pool_size(15) == 4 and pool_size(2) == 2 and pool_size(1) == 1 and pool_size(0) == 1
    assert pool_size(15, workers=8) == 4 and pool_size(15, workers=3) == 3
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert pool_size(15) == 2 and pool_size(15, workers=1) == 1  # the argument wins over the variable


def test_no_fork_or_a_pool_worker_draws_in_process(monkeypatch):
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(figure_pool, "fork_available", lambda: False)
    assert pool_size(15) == 1
    monkeypatch.setattr(figure_pool, "fork_available", lambda: True)
    monkeypatch.setattr(figure_pool.multiprocessing, "parent_process", lambda: object())
    assert pool_size(15) == 1 and pool_size(15, workers=2) == 2  # asked for explicitly: still a pool


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_bad_workers_argument_is_named(bad):
    with pytest.raises(ValueError, match=r"^workers: must be a whole number >= 1, got"):
        pool_size(5, workers=bad)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=6))
def test_the_environment_variable_is_a_whole_number_or_a_named_error(raw):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(WORKERS_ENV, raw.replace("\x00", ""))
        mp.setattr(os, "cpu_count", lambda: 64)
        value = raw.replace("\x00", "").strip()
        try:
            expected = int(value) if value else None
        except ValueError:
            expected = -1
        if expected is None:
            assert pool_size(100) >= 1
        elif expected >= 1:
            assert pool_size(100) == min(expected, 64)
        else:
            with pytest.raises(ValueError, match=f"^{WORKERS_ENV}: must be a whole number >= 1, got"):
                pool_size(100)


def test_a_callers_gc_freeze_is_kept():
    """The twin runner freezes the run's heap while it writes outputs: drawing the figures keeps that."""
    import gc

    from reports import plots
    from reports.figure_pool import FigureJob, render

    gc.freeze()
    try:
        before = gc.get_freeze_count()
        render([FigureJob("a", plots.plot_funnel, ({},)), FigureJob("b", plots.plot_funnel, ({},))], workers=2)
        assert gc.get_freeze_count() >= before > 0
    finally:
        gc.unfreeze()

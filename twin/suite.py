"""A suite: scenarios x seeds, fanned out, one row per run, summarised with 95% confidence intervals.

``plan_suite`` lists the runs (every scenario with seeds ``first_seed ..
first_seed + seeds - 1``); ``run_one`` does one of them in whatever process
``twin.fanout.run_many`` puts it and returns its row (plain values only, so it
pickles cheaply); ``run_suite`` does them all and returns the rows as a frame
in plan order. The statistics and the files (runs.parquet, suite_summary.json,
suite.html) are ``reports.suite``'s. ``twin suite`` (``twin.cli_suite``) is the
command line; docs/suite.md is the user's page.

A run that raises (a bug, not an invariant violation: those are recorded as
data) does not stop the suite: its row carries ``error`` and no figures, and
the command exits 1 naming the seed, as it does for a broken invariant.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Sequence

import pandas as pd

from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderStatus
from reports.latency import PERCENTILES, SEGMENTS, latency_table
from reports.summary import order_counts
from scenarios.config import Scenario

from .fanout import run_many
from .invariants import first_violation
from .recorder import events_frame, orders_frame
from .runner import run_scenario


@dataclass(frozen=True)
class SuiteRun:
    """One run of a suite: a parsed scenario (sent whole, so workers need not read the file), the
    file it came from (for the reproduce command) and the seed."""

    scenario: Scenario
    scenario_file: str
    seed: int


STATUS_COLUMNS: tuple[str, ...] = tuple(f"orders_{status.value}" for status in OrderStatus)
"""Orders by final status: one column per status, so every row has the same columns."""

LATENCY_COLUMNS: tuple[str, ...] = tuple(f"{segment}_{name}_ms" for segment in SEGMENTS for name, _ in PERCENTILES)
"""Latency percentiles per path segment (``reports.latency``), in ms."""

FIGURES: tuple[str, ...] = ("orders", *STATUS_COLUMNS, "fill_rate", "filled_notional_usd", *LATENCY_COLUMNS,
                            "events", "wall_s", "cpu_s")
"""The numeric columns of a row that the summary gives a mean and 95% interval for."""


def plan_suite(scenarios: Sequence[tuple[Scenario, str]], seeds: int, first_seed: int = 1) -> list[SuiteRun]:
    """Every (scenario, file) with every seed in ``first_seed .. first_seed + seeds - 1``, scenario-major."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds: must be a whole number >= 1, got {seeds!r}")
    if isinstance(first_seed, bool) or not isinstance(first_seed, int) or first_seed < 0:
        raise ValueError(f"first_seed: must be a whole number >= 0, got {first_seed!r}")
    return [SuiteRun(scenario, path, seed) for scenario, path in scenarios
            for seed in range(first_seed, first_seed + seeds)]


def run_one(run: SuiteRun) -> dict[str, Any]:
    """Run ``run`` (invariants checked, not raised) and return its row; an exception becomes ``error``."""
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    row: dict[str, Any] = {"scenario": run.scenario.name, "scenario_file": run.scenario_file, "seed": run.seed}
    try:
        result = run_scenario(run.scenario, run.seed, check=False)
    except Exception as exc:  # a bug in this seed: record it, keep the suite going (module docstring)
        return {**row, "fingerprint": "", "invariants_ok": False, "first_violation": "",
                "error": f"{type(exc).__name__}: {exc}"}
    violation = first_violation(result.invariants)
    events = events_frame(result.world.log.read())
    orders = orders_frame(result.world.platform.oms.orders.values())
    row.update({
        "fingerprint": result.fingerprint,
        "invariants_ok": violation is None,
        "first_violation": "" if violation is None else
        f"{violation.invariant}: {violation.problem}" + (f" (event {violation.event_id})" if violation.event_id else ""),
        "error": "",
        **_order_figures(orders),
    })
    latency = latency_table(events)
    for segment in SEGMENTS:
        for name, _ in PERCENTILES:
            row[f"{segment}_{name}_ms"] = latency[segment][name]
    row["events"] = len(events)
    row["wall_s"] = time.perf_counter() - started_wall
    row["cpu_s"] = time.process_time() - started_cpu
    return row


def _order_figures(orders: pd.DataFrame) -> dict[str, Any]:
    """Order counts by final status; fill rate = filled shares / ordered shares over all orders; filled
    notional exact in integer units (``filled_notional``) and, for the statistics, in dollars."""
    counts = order_counts(orders)
    figures: dict[str, Any] = {"orders": int(len(orders))}
    figures.update({column: counts.get(column.removeprefix("orders_"), 0) for column in STATUS_COLUMNS})
    ordered = int(orders["quantity"].sum()) if len(orders) else 0
    filled = int(orders["filled_qty"].sum()) if len(orders) else 0
    notional = sum(int(v) for v in orders["filled_notional"]) if len(orders) else 0
    figures["fill_rate"] = filled / ordered if ordered else None
    figures["filled_notional"] = notional
    figures["filled_notional_usd"] = notional / PRICE_SCALE  # analytics only: the exact figure is beside it
    return figures


def run_suite(runs: Sequence[SuiteRun], *, workers: int | None = None, dask: str | None = None,
              progress: str | None = None) -> pd.DataFrame:
    """Every run of ``runs`` via ``twin.fanout.run_many``; one row each, in plan order."""
    rows = run_many(run_one, runs, workers=workers, dask=dask, progress=progress)
    frame = pd.DataFrame(rows)
    for column in ("filled_notional", *STATUS_COLUMNS, "orders", "events"):
        if column in frame.columns:  # integers; a failed run's row leaves a gap, so nullable
            frame[column] = frame[column].astype("Int64")
    return frame


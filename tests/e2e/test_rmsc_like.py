"""The RMSC04-like agent market: deterministic across processes, and realistic.

A full day runs in a few seconds, so these are not marked slow.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scenarios.config import load_scenario, parse_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline

RMSC = SCENARIOS / "rmsc_like.yaml"
SCRIPT = (
    "import sys; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "from reports.realism import market_digest;"
    "r = run_scenario(load_scenario(sys.argv[1]));"
    "m = r.world.market_recorder; print(r.fingerprint, market_digest(m.samples, m.trades()))"
)


def market_digest_of(result) -> str:
    from reports.realism import market_digest

    recorder = result.world.market_recorder
    return market_digest(recorder.samples, recorder.trades())


@pytest.fixture(scope="module")
def rmsc_run(tmp_path_factory):
    from twin.runner import run_scenario

    out = tmp_path_factory.mktemp("rmsc")
    return run_scenario(load_scenario(RMSC), out_dir=out), out


def test_rmsc_like_is_deterministic_across_processes(rmsc_run) -> None:
    """At the scenario's seed, here and in a fresh process: the stored baseline and the same market."""
    from twin.runner import run_scenario

    result, _ = rmsc_run
    assert_baseline("rmsc_like.yaml", result.fingerprint)
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(RMSC)], capture_output=True, text=True, check=True)
    fingerprint, digest = out.stdout.strip().splitlines()[-1].split()
    assert (fingerprint, digest) == (result.fingerprint, market_digest_of(result)) and len(digest) == 64
    other = run_scenario(load_scenario(RMSC), seed=result.world.seed + 1)
    assert market_digest_of(other) != digest  # another seed makes another market


def test_rmsc_like_has_the_rmsc04_population(rmsc_run) -> None:
    result, _ = rmsc_run
    agents = result.world.agents
    counts = {p: agents.count(p) for p in ("AMM-", "VAL-", "MOM-", "NOISE-")}
    assert counts == {"AMM-": 2, "VAL-": 102, "MOM-": 12, "NOISE-": 1000}
    assert list(result.world.venues) == ["XNAS"] and result.world.scenario.symbol_names == ("ABM",)
    tape = agents.tapes["ABM"]
    assert tape.orders > 20_000 and len(tape) > 10_000  # ABIDES RMSC04: ~31,600 orders, ~18,700 trades
    assert result.passed


def test_rmsc_like_market_is_fat_tailed_and_clusters_volatility(rmsc_run) -> None:
    _, out = rmsc_run
    summary = json.loads((out / "summary.json").read_text())
    realism = summary["market_realism"]["symbols"]["ABM"]
    returns = realism["returns_1min"]
    assert returns["count"] == 389  # 390 one-minute mids over 09:30-16:00
    assert returns["excess_kurtosis"] > 0  # fatter tails than normal
    assert realism["abs_return_acf"]["values"][0] > 0  # volatility clustering at lag 1
    assert realism["two_sided_fraction"] > 0.99
    assert realism["spread_ticks"]["p50"] >= 1 and realism["top_depth"]["p50"] > 0
    assert "Market realism (simulated market, XNAS" in (out / "report.html").read_text(encoding="utf-8")


def test_a_market_only_day_runs(tmp_path) -> None:
    from twin.runner import run_scenario

    text = RMSC.read_text(encoding="utf-8")
    text = text.replace('close: "16:00"', 'close: "10:00"').replace("orders: 50", "orders: 0")
    scenario = parse_scenario(text, "market_only.yaml")
    assert scenario.order_flow.orders == 0
    result = run_scenario(scenario, out_dir=tmp_path)
    assert result.passed and not result.world.platform.oms.orders
    assert len(result.world.agents.tapes["ABM"]) > 500
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["market_realism"]["symbols"]["ABM"]["returns_1min"]["count"] == 29

"""A small sample of loadtests/benchmarks/realism_seeds.py: one short seed, its row against issue 18's acceptance."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from loadtests.benchmarks.realism_seeds import acceptance, parse_seeds, path_facts, return_checks, with_mode
from scenarios.config import builtin_scenario_path, load_scenario

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "loadtests" / "benchmarks" / "realism_seeds.py"


def test_realism_seeds_sample_prints_a_row_per_seed_with_each_fact_judged():
    done = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "1,2", "--close", "10:30"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "scenario rmsc_like  mode direct  session 09:30:00-10:30:00  seeds 1,2" in out
    rows = [line for line in out.splitlines() if re.match(r"[12] \| ", line)]
    assert len(rows) == 2, out
    for row in rows:
        cells = row.split(" | ")
        assert re.fullmatch(r"[+-]\d\.\d{3} \(\d+\) (ok|FAIL)", cells[1]), row
        assert re.fullmatch(r"[+-]\d\.\d{3} / [+-]\d\.\d{3} (ok|FAIL)", cells[2]), row
        assert cells[5] in ("PASS", "FAIL")
        # the fundamental path alone: its three return facts, judged together
        assert re.fullmatch(r"[+-]\d\.\d{3} \(\d+\), [+-]\d\.\d{3} / [+-]\d\.\d{3}, -?\d+\.\d\d (ok|FAIL)",
                            cells[6]), row
        assert int(cells[8].replace(",", "")) > 100  # trades
    assert rows[0] != rows[1]  # another seed, another market
    assert "(reference figures, not measured here)" in out
    assert re.search(r"seeds passing every fact: [0-2] of 2", out)
    assert re.search(r"seeds whose fundamental path alone passes the return facts: [0-2] of 2", out)


def _facts(acf1, outside, abs1, abs10, kurt, first, last):
    return {"returns": {"1min": {"acf": {"values": [acf1] + [0.0] * 9, "outside_band": outside},
                                 "abs_acf": {"values": [abs1] + [0.0] * 8 + [abs10]}, "excess_kurtosis": kurt}},
            "intraday": {"volume_u": {"first_over_median": first, "last_over_median": last}}}


@pytest.mark.parametrize(("facts", "failing"), [
    (_facts(-0.08, 1, 0.11, 0.23, 3.4, 2.8, 1.8), set()),  # the real day of issue 18
    (_facts(0.64, 10, 0.59, 0.11, 5.6, 0.6, 1.0), {0, 1, 3}),  # rmsc_like before: trends, flat volume
    (_facts(0.05, 3, 0.2, 0.1, 2.0, 2.0, 2.0), {0}),  # too many lags outside the band
    (_facts(0.0, 0, 0.2, -0.01, 2.0, 2.0, 2.0), {1}),  # volatility clustering gone by lag 10
    (_facts(0.0, 0, 0.2, 0.1, 0.9, 2.0, 1.4), {2, 3}),
])
def test_acceptance_judges_each_fact(facts, failing):
    judged = list(acceptance(facts).values())
    assert {i for i, (_, ok) in enumerate(judged) if not ok} == failing


def test_bad_seeds_and_close_are_refused_in_one_line():
    with pytest.raises(ValueError, match="--seeds"):
        parse_seeds("a-b")
    done = subprocess.run([sys.executable, str(SCRIPT), "--close", "09:00"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("realism_seeds: --close: must be after the open")


def test_mode_network_runs_the_agents_over_the_network():
    done = subprocess.run([sys.executable, str(SCRIPT), "--seeds", "3", "--close", "10:00", "--mode", "network"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "scenario rmsc_like  mode network  session 09:30:00-10:00:00  seeds 3" in done.stdout
    assert re.search(r"^3 \| [+-]\d\.\d{3} \(\d+\) (ok|FAIL) \|", done.stdout, re.M), done.stdout


def test_path_facts_are_the_fundamentals_own_minute_returns():
    scenario = load_scenario(builtin_scenario_path("rmsc_like"))
    figures = path_facts(scenario, 5)
    assert figures["count"] == 389  # one return per minute of a 09:30-16:00 session, as the run's own figures
    assert figures["zero_fraction"] < 0.05  # the path moves every minute (a book's mid may not)
    again = path_facts(scenario, 5)
    assert again["acf"]["values"] == figures["acf"]["values"]  # the same seed, the same path
    assert path_facts(scenario, 6)["acf"]["values"] != figures["acf"]["values"]
    assert set(return_checks(figures)) == {"return ACF(1) (lags out)", "|r| ACF(1) / ACF(10)", "excess kurtosis"}


def test_with_mode_changes_only_the_agents_mode_and_refuses_other_words():
    scenario = load_scenario(builtin_scenario_path("rmsc_like"))
    assert scenario.agents.mode == "direct"
    network = with_mode(scenario, "network")
    assert network.agents.mode == "network"
    assert network.agents.market_makers == scenario.agents.market_makers  # everything else as it was
    assert with_mode(scenario, None) is scenario
    with pytest.raises(ValueError, match="--mode: expected direct or network, got 'fast'"):
        with_mode(scenario, "fast")

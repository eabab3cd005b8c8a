"""surveillance_day: same seed, same fingerprint and same labels; the labels and links land beside the events."""

from __future__ import annotations

import json
import subprocess
import sys

from scenarios.config import load_scenario
from tests.conftest import SCENARIOS
from tests.e2e.test_fingerprint_baselines import assert_baseline
from twin.runner import run_scenario

SCRIPT = (
    "import sys, json; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "r = run_scenario(load_scenario(sys.argv[1]));"
    "print(json.dumps([r.fingerprint, [e.to_record() for e in r.world.bad_actor_plan.episodes]]))"
)


def test_same_seed_same_fingerprint_and_labels():
    """At the scenario's seed, here and in a fresh process: the stored baseline and the same labels."""
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / "surveillance_day.yaml")],
                         capture_output=True, text=True, check=True)
    fingerprint, episodes = json.loads(out.stdout.strip().splitlines()[-1])
    assert_baseline("surveillance_day.yaml", fingerprint)
    here = run_scenario(load_scenario(SCENARIOS / "surveillance_day.yaml"))
    assert here.fingerprint == fingerprint
    assert [e.to_record() for e in here.world.bad_actor_plan.episodes] == episodes
    assert {e["pattern"] for e in episodes} == {"spoofing", "wash_trade", "marking_the_close", "front_running"}

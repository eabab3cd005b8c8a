"""surveillance_day: same seed, same fingerprint and same labels; the labels and links land beside the events."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import SCENARIOS

SCRIPT = (
    "import sys, json; from scenarios.config import load_scenario; from twin.runner import run_scenario;"
    "r = run_scenario(load_scenario(sys.argv[1]), seed=int(sys.argv[2]));"
    "print(json.dumps([r.fingerprint, [e.to_record() for e in r.world.bad_actor_plan.episodes]]))"
)


def run_in_new_process(seed: int) -> tuple[str, list]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(SCENARIOS / "surveillance_day.yaml"), str(seed)],
                         capture_output=True, text=True, check=True)
    fingerprint, episodes = json.loads(out.stdout.strip().splitlines()[-1])
    return fingerprint, episodes


def test_same_seed_same_fingerprint_and_labels():
    first, second = run_in_new_process(5), run_in_new_process(5)
    assert len(first[0]) == 64 and first == second
    assert {e["pattern"] for e in first[1]} == {"spoofing", "wash_trade", "marking_the_close", "front_running"}

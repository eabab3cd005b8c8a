"""A run's simulation carries neither pandas nor pyarrow (nor matplotlib): they are imported when the run
folder is written. Together they are about 110 MiB of resident memory and half a second of start-up that
every simulated day used to hold from its first instruction (issue 19's memory and whole-process targets).

Checked in a fresh interpreter, since this test process has them imported already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_PROBE = """
import json, sys
from twin.cli import build_parser
from scenarios.config import load_scenario
from twin.bootstrap import build_twin
from twin.runner import simulate

build_parser("run")
world = build_twin(load_scenario("scenarios/smoke.yaml"), 7)
simulate(world, record_market=True)  # the market recording on, as `twin run` simulates
print(json.dumps({"events": len(world.log), "loaded": [m for m in ("pandas", "pyarrow", "matplotlib")
                                                       if m in sys.modules]}))
"""


def test_simulating_a_recorded_day_imports_no_pandas_pyarrow_or_matplotlib():
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["events"] > 0  # a day was simulated, not just modules imported
    assert probe["loaded"] == []

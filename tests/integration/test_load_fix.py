"""The FIX locust user (``loadtests/locustfile_fix.py``) against ``twin venue serve`` on loopback:
orders and cancels over a real QuickFIX session, each timed to its answer and counted by locust."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

import pytest

from loadtests.run_load import ROOT
from loadtests.slo_check import read_locust_stats
from tests.services import free_port

LOCUSTFILE = ROOT / "loadtests" / "locustfile_fix.py"
# not imported here: locust monkey-patches the standard library with gevent when imported
pytestmark = pytest.mark.skipif(importlib.util.find_spec("locust") is None or importlib.util.find_spec("quickfix")
                                is None, reason="pip install -e '.[load,live]'")


def test_fix_users_report_orders_and_cancels_with_no_failure(tmp_path):
    port = free_port()
    venue = subprocess.Popen([sys.executable, "-m", "twin.cli", "venue", "serve", "--venue", "XLOAD", "--port",
                              str(port), "--liquidity", "--symbols", "AAPL", "--run-dir", str(tmp_path / "venue")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        assert "serving venue XLOAD" in venue.stdout.readline()
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", "2", "-r",
                               "2", "-t", "5s", "--host", f"tcp://127.0.0.1:{port}", "--fix-venue", "XLOAD",
                               "--csv", str(tmp_path / "fix"), "--only-summary", "--slo-p99-ms", "100000"],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        assert time.monotonic() - started < 60
    finally:
        venue.terminate()
        venue.wait(20)
    measured = read_locust_stats(tmp_path / "fix_stats.csv")
    assert measured.requests > 10 and measured.failures == 0, measured
    names = (tmp_path / "fix_stats.csv").read_text()
    for name in ("NewOrderSingle MARKET", "NewOrderSingle LIMIT", "OrderCancelRequest"):
        assert f"FIX,{name}," in names

"""A short headless locust run against a real ``twin serve`` on loopback (``loadtests/run_load.py``):
the CSV and HTML come out with requests counted and no unexpected failure, an impossibly tight
SLO makes locust exit non-zero, and a host that is not loopback is refused before any request."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys

import pytest

from loadtests.run_load import LOCUSTFILE, ROOT, run_locust, serve_twin
from loadtests.slo_check import read_locust_stats

# not imported here: locust monkey-patches the standard library with gevent when imported
pytestmark = pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="pip install -e '.[load]'")


@pytest.fixture(scope="module")
def served():
    # direct venues: the FIX sessions are tested elsewhere; here the HTTP path and the harness are
    with serve_twin(advisors=3, direct_venues=True) as server:
        yield server


def test_a_short_run_writes_csv_and_html_with_no_unexpected_failure(served, tmp_path):
    code = run_locust(served, tmp_path, users=3, spawn_rate=3, run_time="5s", quiet=True,
                      slo_args=["--slo-p99-ms", "100000"])  # the latency is not what this test is about
    assert code == 0
    measured = read_locust_stats(tmp_path / "load_stats.csv")
    assert measured.requests > 20 and measured.failures == 0, measured
    with (tmp_path / "load_stats.csv").open(newline="") as f:
        names = {row["Name"] for row in csv.DictReader(f) if int(row["Request Count"]) > 0}
    assert {"POST /v1/orders MARKET", "POST /v1/orders LIMIT", "GET /v1/accounts/[id]/positions"} <= names, names
    assert any(n.startswith("BAD ") for n in names), names  # refusals counted as correct answers
    assert (tmp_path / "load_failures.csv").read_text().count("\n") == 1  # the header only
    html = (tmp_path / "load.html").read_text(encoding="utf-8")
    assert "POST /v1/orders MARKET" in html


def test_an_impossibly_tight_slo_fails_the_run(served, tmp_path):
    code = run_locust(served, tmp_path, users=2, spawn_rate=2, run_time="3s", quiet=True,
                      slo_args=["--slo-p99-ms", "0.001"])
    assert code == 1
    assert read_locust_stats(tmp_path / "load_stats.csv").requests > 0  # it did run, and was judged


def test_a_host_that_is_not_loopback_is_refused(tmp_path):
    done = subprocess.run([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", "1",
                           "-t", "2s", "--host", "http://192.0.2.1:8080", "--advisors-file", str(tmp_path / "x")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "'192.0.2.1' is not a loopback address" in done.stderr

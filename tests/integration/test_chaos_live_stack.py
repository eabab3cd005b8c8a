"""chaos/experiments/live_stack.json through ``chaos run`` against a real live stack.

``twin serve`` (PostgreSQL event log, NATS JetStream bus, one FIX venue served by ``twin venue
serve``) is started with ``chaos.toolkit.actions.start_process`` under a state folder, as an SRE
would before a game day; the experiment kills the venue and the bus, brings them back, restarts
the ``twin serve`` process, and its hypothesis (healthz 200, an order round trip answered) must
hold before and after.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from chaos.toolkit.actions import start_process, stop_process  # noqa: E402
from tests import services  # noqa: E402
from tests.live_configs import account, symbols, tokens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHAOS = Path(sys.executable).parent / "chaos"
TOKEN = "chaos-game-day-token"


@pytest.fixture
def stack(tmp_path, postgres_server):
    if services.missing_nats():
        pytest.skip(services.missing_nats())
    if not CHAOS.exists():
        pytest.skip("the chaos CLI is not installed (pip install chaostoolkit)")
    state = tmp_path / "state"
    ports = {name: services.free_port() for name in ("nats", "venue", "http")}
    config = tmp_path / "live.toml"
    config.write_text(f"""run_dir = "{tmp_path / 'run'}"
[session]
enabled = false
[event_log]
kind = "postgres"
dsn = "{postgres_server.dsn}"
schema = "chaos_{ports['http']}"
[bus]
kind = "nats"
url = "nats://127.0.0.1:{ports['nats']}"
[venue_link]
mode = "fix"
sessions = [{{ venue = "ARCX", host = "127.0.0.1", port = {ports['venue']} }}]
[[venues]]
name = "ARCX"
""" + symbols(AAPL="190.00") + account("ACCT-1", "CL-1", "ADV-1") + tokens(ADV_1=TOKEN))
    py = sys.executable
    try:
        start_process(str(state), "nats", f"{services.nats_binary()} -js -a 127.0.0.1 -p {ports['nats']} "
                                          f"-sd {tmp_path / 'jetstream'}", ready_port=ports["nats"])
        start_process(str(state), "venue", f"{py} -m twin.cli venue serve --venue ARCX --port {ports['venue']} "
                                           f"--symbols AAPL --liquidity --run-dir {tmp_path / 'venue'}",
                      ready_port=ports["venue"], cwd=str(ROOT), timeout_s=60)
        start_process(str(state), "twin", f"{py} -m twin.cli serve --config {config} --port {ports['http']}",
                      ready_url=f"http://127.0.0.1:{ports['http']}/healthz", cwd=str(ROOT), timeout_s=90)
        yield state, ports
    finally:
        for name in ("twin", "venue", "nats"):
            stop_process(str(state), name)


def test_the_live_stack_survives_losing_its_bus_a_venue_and_its_process(stack, tmp_path):
    state, ports = stack
    journal = tmp_path / "journal.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CHAOS_STATE_DIR": str(state),
           "CHAOS_LIVE_URL": f"http://127.0.0.1:{ports['http']}", "CHAOS_LIVE_TOKEN": TOKEN,
           "CHAOS_LIVE_ACCOUNT": "ACCT-1", "CHAOS_LIVE_ADVISOR": "ADV-1",
           "CHAOS_NATS_PORT": str(ports["nats"]), "CHAOS_VENUE_PORT": str(ports["venue"])}
    done = subprocess.run([str(CHAOS), "--no-log-file", "run", "--journal-path", str(journal),
                           str(ROOT / "chaos" / "experiments" / "live_stack.json")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    result = json.loads(journal.read_text())
    outputs = {r["activity"]["name"]: r.get("output") for r in result["run"]}
    assert done.returncode == 0, (done.stderr[-3000:], outputs)
    assert result["deviated"] is False and result["status"] == "completed"
    assert outputs["kill-the-fix-venue"] is True and outputs["kill-the-bus"] is True  # each was running
    assert outputs["order-after-the-restart"] == 201  # a new order, taken by the restarted process
    after = {p["activity"]["name"]: p["output"] for p in result["steady_states"]["after"]["probes"]}
    assert after == {"healthz-is-200": 200, "an-order-round-trip": 200}  # the first order, replayed

"""A real Prometheus on loopback scrapes ``twin serve`` and evaluates the generated SLO rules.

1. ``twin serve`` (JSON logs on) is scraped, every generated rule loads and is healthy, no alert is
   active, and no log line holds the account, client, name or token the session used.
2. An induced fault: the only venue (``twin venue serve`` in its own process, the live stack in
   remote FIX mode) is killed (SIGKILL) while orders keep coming. Prometheus, loaded with the test
   variant of the rules (``render_rules(..., time_scale=60)``: every window and ``for:`` sixty
   times shorter, the same alerts), takes the order-acceptance burn-rate alert pending then firing
   (``/api/v1/alerts``). The twin runs the same script (the same venue taken down at the same
   offset) and its evaluator, on the same rules, must fire the same order-acceptance alerts; both
   timelines are written to ``slo_timelines.json`` in the test's tmp dir and printed (``-s``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live_configs import REMOTE_ARCX, account, quiet_market, symbols, tokens

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = shutil.which("prometheus")
TOKEN = "prom-scrape-token-000001"
CONFIG = (symbols(AAPL="190.00") + quiet_market()
          + account("ACCT-8001", "CLNT-8001", "ADV-1", extra='client_name = "Grace Hopper"') + tokens(ADV_1=TOKEN))
ORDER = {"account_id": "ACCT-8001", "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "MARKET",
         "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "P-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(what: str, probe, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = probe()
            if got:
                return got
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (Debian package `prometheus`)")
def test_prometheus_scrapes_twin_serve_and_evaluates_the_slo_rules(tmp_path):
    (tmp_path / "live.toml").write_text(CONFIG)
    api, prom = _free_port(), _free_port()
    (tmp_path / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ROOT / "slo" / "rules.yaml")],
        "scrape_configs": [{"job_name": "broker-dealer", "static_configs": [{"targets": [f"127.0.0.1:{api}"]}]}],
    }))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TWIN_LOG_FORMAT": "json"}
    with (tmp_path / "serve.log").open("wb") as log, (tmp_path / "prom.log").open("wb") as plog:
        serve = subprocess.Popen([sys.executable, "-m", "twin.cli", "serve", "--config", str(tmp_path / "live.toml"),
                                  "--port", str(api)], stdout=log, stderr=log, cwd=ROOT, env=env)
        server = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                                   f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                   f"--web.listen-address=127.0.0.1:{prom}"], stdout=plog, stderr=plog)
        try:
            base, p = f"http://127.0.0.1:{api}", f"http://127.0.0.1:{prom}"
            _wait("twin serve", lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200)
            assert httpx.post(f"{base}/v1/orders", json=ORDER, headers={"Authorization": f"Bearer {TOKEN}"},
                              timeout=5).status_code == 201

            def received():  # the counter is exposed at 0 from the start: wait for a scrape after the order
                r = httpx.get(f"{p}/api/v1/query", params={"query": "bdt_orders_received_total"}, timeout=2).json()
                result = r["data"]["result"] if r.get("status") == "success" else None
                return result if result and float(result[0]["value"][1]) > 0 else None

            (sample,) = _wait("the scrape", received)
            assert float(sample["value"][1]) == 1.0
            targets = httpx.get(f"{p}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
            assert [t["health"] for t in targets] == ["up"]
            groups = httpx.get(f"{p}/api/v1/rules", timeout=2).json()["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            assert len(rules) == sum(len(g["rules"]) for g in __import__("yaml").safe_load(
                (ROOT / "slo" / "rules.yaml").read_text())["groups"])
            assert {r["health"] for r in rules} == {"ok"}, [r for r in rules if r["health"] != "ok"][:3]
            assert not [r for r in rules if r["type"] == "alerting" and r["state"] != "inactive"]
        finally:
            _stop(server)
            _stop(serve)
    lines = (tmp_path / "serve.log").read_text().splitlines()
    json_lines = [json.loads(line) for line in lines if line.startswith("{")]
    assert json_lines and any(j["logger"] == "uvicorn.access" for j in json_lines), lines[-20:]
    text = "\n".join(lines)
    for secret in (TOKEN, "ACCT-8001", "CLNT-8001", "Grace Hopper"):
        assert secret not in text, secret


# -- the induced fault: the only venue killed ------------------------------------------------
TIME_SCALE = 60
"""The rules' test variant: 1h -> 60s, 5m -> 5s, for: 2m -> 2s (``twin slo-rules --time-scale 60``)."""
EVERY_S, KILL_S, ORDERS = 0.5, 6.0, 80
"""One order each half second; the venue dies 6 s in; the twin's script is 80 orders (40 s) long."""
SLO = "order-acceptance"
KILL_CONFIG = REMOTE_ARCX + symbols(AAPL="190.00") + account("ACCT-1", "CL-1", "ADV-1", cash="10000000.00") \
    + tokens(ADV_1=TOKEN)
TWIN_SCENARIO = """
name: slo-venue-kill
seed: 7
symbols:
  - {symbol: AAPL, reference_price: "190.00"}
venues:
  - {name: ARCX}
population: {advisors: 1, clients_per_advisor: 1, cash_min: "10000000", cash_max: "10000000", sanctioned_clients: 0}
order_flow: {orders: 0}
"""


def _kill_order(n: int, account_id: str = "ACCT-1", advisor_id: str = "ADV-1") -> dict:
    """A marketable IOC buy (the venue's market maker quotes around $190); quantities differ so no two
    orders look like duplicates."""
    return {"account_id": account_id, "symbol": "AAPL", "side": "BUY", "quantity": 10 + n, "order_type": "LIMIT",
            "limit_price": "199.00", "time_in_force": "IOC", "advisor_id": advisor_id, "client_order_id": f"K-{n}"}


def _key(labels: dict) -> str:
    which = f"long_window={labels['long_window']}" if "long_window" in labels else f"burned={labels['burned']}"
    return f"{labels['alertname']}{{slo={labels['slo']},{which}}}"


def twin_timeline() -> dict[str, dict]:
    """The same script in the twin (ARCX taken down ``KILL_S`` in), evaluated by the twin's SLO
    evaluator on the same test-variant rules every second: alert -> pending/firing seconds after the kill."""
    from components.observability.slo import DEFAULT_SLO_FILE, load_slos
    from components.observability.slo_eval import firings, pendings
    from scenarios.config import parse_scenario
    from twin.bootstrap import build_twin
    from twin.observability import sample_metrics, series_of
    from twin.scripted import Submit, run_script, start_ns
    from venues_sim.venue import VenueStatus

    scenario = parse_scenario(TWIN_SCENARIO, "slo-venue-kill")
    world = build_twin(scenario, scenario.seed)
    who = world.population.accounts[0]
    steps = [Submit(int(n * EVERY_S * 1e9), _kill_order(n, who.account_id, who.advisor_id)) for n in range(ORDERS)]
    kill_ns = start_ns(world) + int(KILL_S * 1e9)
    world.clock.call_at(kill_ns, lambda: world.venues["ARCX"].set_status(VenueStatus.DOWN))
    run_script(world, steps, liquidity=True)
    _metrics, frame, grid = sample_metrics(list(world.log.read()), 1)
    series = series_of(frame, grid)
    out = {}
    for slo in load_slos(DEFAULT_SLO_FILE):
        for spell in firings(series, slo, TIME_SCALE) + pendings(series, slo, TIME_SCALE):
            labels = {"alertname": spell.alert, **dict(spell.labels)}
            out.setdefault(_key(labels), {
                "pending_s": round(spell.pending_s - kill_ns / 1e9, 3),
                "firing_s": None if spell.start_s is None else round(spell.start_s - kill_ns / 1e9, 3)})
    return out


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (Debian package `prometheus`)")
def test_a_killed_venue_fires_the_same_alert_in_prometheus_and_in_the_twin(tmp_path):
    pytest.importorskip("quickfix", reason="quickfix is not installed")
    from components.observability.slo import DEFAULT_SLO_FILE, load_slos, render_rules

    twin = twin_timeline()
    expected = {k for k, v in twin.items() if f"slo={SLO}," in k and v["firing_s"] is not None}
    assert f"SLOBurnRate{{slo={SLO},long_window=1h}}" in expected, twin

    rules = tmp_path / "rules-test.yaml"
    rules.write_text(render_rules(load_slos(DEFAULT_SLO_FILE), TIME_SCALE))
    venue_port, api, prom = _free_port(), _free_port(), _free_port()
    (tmp_path / "live.toml").write_text(KILL_CONFIG.format(run_dir=tmp_path / "run", port=venue_port))
    (tmp_path / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [{"job_name": "broker-dealer", "static_configs": [{"targets": [f"127.0.0.1:{api}"]}]}],
    }))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (tmp_path / "serve.log").open("wb") as log, (tmp_path / "prom.log").open("wb") as plog, \
            (tmp_path / "venue.log").open("wb") as vlog:
        venue = subprocess.Popen([sys.executable, "-m", "twin.cli", "venue", "serve", "--venue", "ARCX", "--port",
                                  str(venue_port), "--symbols", "AAPL", "--liquidity", "--run-dir",
                                  str(tmp_path / "venue")], stdout=vlog, stderr=vlog, cwd=ROOT, env=env)
        serve = subprocess.Popen([sys.executable, "-m", "twin.cli", "serve", "--config", str(tmp_path / "live.toml"),
                                  "--port", str(api), "--log-level", "warning", "--no-access-log"],
                                 stdout=log, stderr=log, cwd=ROOT, env=env)
        server = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                                   f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                   f"--web.listen-address=127.0.0.1:{prom}"], stdout=plog, stderr=plog)
        live: dict[str, dict] = {}
        statuses: list[str] = []
        try:
            base, p = f"http://127.0.0.1:{api}", f"http://127.0.0.1:{prom}"
            auth = {"Authorization": f"Bearer {TOKEN}"}
            _wait("twin serve", lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200)
            _wait("the venue session", lambda: httpx.get(f"{base}/healthz", timeout=2).json()["venues"]
                  == {"ARCX": "UP"})
            _wait("the first scrape", lambda: [t["health"] for t in httpx.get(f"{p}/api/v1/targets", timeout=2)
                                               .json()["data"]["activeTargets"]] == ["up"])  # none until discovered
            started = time.monotonic()
            kill_at = started + KILL_S
            killed = False
            n = 0
            while True:
                now = time.monotonic()
                if not killed and now >= kill_at:
                    venue.send_signal(signal.SIGKILL)  # as test_venue_kill: no logout, the socket just closes
                    kill_at, killed = now, True
                if now >= started + n * EVERY_S:
                    reply = httpx.post(f"{base}/v1/orders", json=_kill_order(n), headers=auth, timeout=5)
                    statuses.append(reply.json().get("status", str(reply.status_code)))
                    n += 1
                for alert in httpx.get(f"{p}/api/v1/alerts", timeout=2).json()["data"]["alerts"]:
                    entry = live.setdefault(_key(alert["labels"]), {"pending_s": None, "firing_s": None})
                    field = f"{alert['state']}_s"
                    if entry.get(field) is None:
                        entry[field] = round(time.monotonic() - kill_at, 3) if killed else None
                        entry["active_at"] = alert["activeAt"]
                fired = {k for k, v in live.items() if v["firing_s"] is not None and f"slo={SLO}," in k}
                if killed and (fired >= expected or now > kill_at + 30):
                    break
                time.sleep(0.25)
        finally:
            _stop(server)
            _stop(serve)
            if venue.poll() is None:
                venue.kill()
            venue.wait(timeout=10)
    timelines = {"time_scale": TIME_SCALE, "kill_after_s": KILL_S, "order_every_s": EVERY_S,
                 "twin": twin, "prometheus": live, "live_order_statuses": statuses}
    (tmp_path / "slo_timelines.json").write_text(json.dumps(timelines, indent=1, sort_keys=True))
    print(json.dumps(timelines, indent=1, sort_keys=True))
    assert "REJECTED" in statuses, statuses  # the kill did what the fault is meant to do
    fired = {k for k, v in live.items() if v["firing_s"] is not None and f"slo={SLO}," in k}
    assert fired == expected, (fired, expected)
    burn = live[f"SLOBurnRate{{slo={SLO},long_window=1h}}"]
    assert burn["firing_s"] is not None and burn["firing_s"] > 0  # after the kill, not before

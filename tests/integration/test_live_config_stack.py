"""What ``live.toml`` selects, on real services: the event log (SQLite by default, PostgreSQL),
the bus (NATS JetStream), the venue link (embedded FIX by default, direct), and
``twin serve`` with no config at all.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

pytest.importorskip("quickfix", reason="quickfix is not installed (pip install quickfix builds it from source)")

from components.domain.money import to_units  # noqa: E402
from components.domain.orders import Side  # noqa: E402
from live.bootstrap import build_live  # noqa: E402
from components.config.live import LiveConfig, parse_live_config  # noqa: E402
from live.adapters.venue_link import DirectLink, FixLink  # noqa: E402
from tests.live_configs import one_venue_market  # noqa: E402
from tests.live_script import LiveScript  # noqa: E402
from tests.services import free_port  # noqa: E402
from twin.scripted import AgentOrder, Submit  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BASE = one_venue_market()
FLOW = [AgentOrder(0, "XNAS", "AAPL", Side.SELL, 500, to_units("190.05")),
        Submit(0, {"account_id": "ACCT-1", "symbol": "AAPL", "side": "BUY", "quantity": 100, "order_type": "MARKET",
                   "time_in_force": "DAY", "advisor_id": "ADV-1", "client_order_id": "S-1"})]
EXPECTED = ["OrderReceived", "OrderValidated", "OrderRiskApproved", "OrderRouted", "OrderFilled", "OrderAllocated",
            "OrderConfirmed"]


def config(run_dir: Path, extra: str = "", base: str = BASE) -> str:
    """live.toml text: ``run_dir`` first (top-level keys precede tables), then ``base`` and ``extra``."""
    return f'run_dir = "{run_dir}"\n' + base + extra


def run_flow(text: str) -> list:
    live = build_live(parse_live_config(text, "test"))
    try:
        live.start()
        LiveScript(live).run(FLOW)
        events = list(live.log.read())
    finally:
        live.close()
    assert [e.event_type.value for e in events] == EXPECTED
    return events


def test_the_defaults_are_a_sqlite_log_and_embedded_fix_venues(tmp_path):
    defaults = LiveConfig()
    assert (defaults.event_log.kind, defaults.bus.kind, defaults.venue_link.mode) == ("sqlite", "inprocess", "embedded")
    events = run_flow(config(tmp_path))
    from components.eventstore.sqlite import SqliteEventStore

    with SqliteEventStore(tmp_path / "events.sqlite", read_only=True) as stored:
        assert [e.event_id for e in stored.read()] == [e.event_id for e in events] and stored.verify().ok
    assert (tmp_path / "fix" / "gateway" / "initiator.cfg").is_file()
    assert (tmp_path / "fix" / "venues" / "XNAS" / "0" / "acceptor.cfg").is_file()


def test_direct_mode_builds_in_process_venues_without_fix(tmp_path):
    direct = BASE.replace("[venue_link]\nliquidity = false", '[venue_link]\nmode = "direct"')
    live = build_live(parse_live_config(config(tmp_path, '[event_log]\nkind = "memory"\n', direct), "direct"))
    try:
        assert isinstance(live.link, DirectLink)
        live.start()
        assert live.venue_statuses() == {"XNAS": "UP"}
    finally:
        live.close()


def test_events_go_to_postgres(postgres_server, tmp_path):
    from live.adapters.postgres_store import PostgresEventStore

    events = run_flow(config(tmp_path, f'[event_log]\nkind = "postgres"\ndsn = "{postgres_server.dsn}"\n'
                                       'schema = "live_test"\n'))
    with PostgresEventStore(postgres_server.dsn, "live_test") as stored:
        assert [e.event_id for e in stored.read()] == [e.event_id for e in events] and stored.verify().ok


def test_stored_events_are_published_on_nats(nats_server, tmp_path):
    from live.adapters.nats_bus import BlockingNatsBus

    events = run_flow(config(tmp_path, f'[event_log]\nkind = "memory"\n[bus]\nkind = "nats"\n'
                                       f'url = "{nats_server.url}"\nstream = "LIVE_T"\nprefix = "lt"\n'))
    got: list = []
    arrived = threading.Event()

    def on_event(event) -> None:
        got.append(event)
        if len(got) >= len(events):
            arrived.set()

    with BlockingNatsBus(nats_server.url, stream="LIVE_T", prefix="lt", publish_deadline_s=10.0) as bus:
        bus.subscribe("events", on_event)
        assert arrived.wait(20.0), f"{len(got)} of {len(events)} events arrived"
    assert [e.event_id for e in got] == [e.event_id for e in events]


def _read_lines_until(stream, pattern: str, timeout: float) -> list[str]:
    lines: list[str] = []
    done = threading.Event()

    def reader() -> None:
        for line in stream:
            lines.append(line)
            if re.search(pattern, line):
                done.set()
                return

    threading.Thread(target=reader, daemon=True).start()
    done.wait(timeout)
    return lines


@contextmanager
def serving(*extra: str):
    """``twin serve`` in a subprocess until its banner is out: yields (banner, base url, auth
    header, advisor, account); stopped with SIGTERM after, which must be a graceful stop."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "twin.cli", "serve", "--port", str(port), "--no-access-log",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        banner = "".join(_read_lines_until(proc.stdout, r"^demo token", 60.0))
        token = re.search(r"demo token for (ADV-\d+) \(accounts ([^,)]+).*: (\S+)$", banner, re.M)
        assert token, banner
        advisor, account, secret = token.groups()
        yield banner, f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {secret}"}, advisor, account
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0  # a graceful stop on SIGTERM, the log closed


def _buy(base: str, auth: dict, advisor: str, account: str, client_order_id: str) -> httpx.Response:
    return httpx.post(f"{base}/v1/orders", headers=auth, timeout=5, json={
        "account_id": account, "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "MARKET",
        "time_in_force": "DAY", "advisor_id": advisor, "client_order_id": client_order_id})


def _until_confirmed(base: str, auth: dict, order_id: str) -> dict:
    deadline = time.monotonic() + 15
    while (got := httpx.get(f"{base}/v1/orders/{order_id}", headers=auth, timeout=5).json())["status"] != "CONFIRMED":
        assert time.monotonic() < deadline, got
        time.sleep(0.05)
    return got


@pytest.mark.parametrize("extra, venues_line", [([], r"venues: FIX 4\.4 \(XNAS 127\.0\.0\.1:\d+, ARCX "),
                                                (["--direct-venues"], r"venues: in process")])
def test_twin_serve_with_no_config_runs_the_whole_stack(extra, venues_line):
    run_dir = None
    try:
        with serving(*extra) as (banner, base, auth, advisor, account):
            assert re.search(venues_line, banner), banner
            assert re.search(r"event log: sqlite .*events\.sqlite", banner), banner
            run_dir = Path(re.search(r"run folder: (\S+)", banner).group(1))
            health = httpx.get(f"{base}/healthz", timeout=5).json()
            assert health["venues"] == {"XNAS": "UP", "ARCX": "UP", "BATS": "UP"}, health
            r = _buy(base, auth, advisor, account, "SERVE-1")
            assert r.status_code == 201, r.text
            assert _until_confirmed(base, auth, r.json()["order_id"])["filled_quantity"] == 10
            assert (run_dir / "events.sqlite").is_file()
    finally:
        if run_dir is not None:
            shutil.rmtree(run_dir, ignore_errors=True)


def test_twin_serve_again_on_the_same_run_dir_carries_on_from_its_log(tmp_path):
    with serving("--run-dir", str(tmp_path)) as (banner, base, auth, advisor, account):
        assert f"run folder: {tmp_path}" in banner and "nothing to rebuild" in banner, banner
        first = _buy(base, auth, advisor, account, "AGAIN-1")
        assert first.status_code == 201, first.text
        before = _until_confirmed(base, auth, first.json()["order_id"])
    with serving("--run-dir", str(tmp_path)) as (banner, base, auth, advisor, account):
        assert re.search(r"recovery: \d+ events replayed .* 1 orders restored", banner), banner
        again = httpx.get(f"{base}/v1/orders/{before['order_id']}", headers=auth, timeout=5)
        assert again.status_code == 200 and again.json()["status"] == "CONFIRMED"
        retry = _buy(base, auth, advisor, account, "AGAIN-1")
        assert retry.status_code == 200 and retry.json()["order_id"] == before["order_id"]  # not a second order

"""``twin serve`` stopped while NATS is unreachable: a clean, short shutdown.

The bus (NATS JetStream) is killed while the server runs; orders are still
taken (events are stored first, published off the order path), then SIGTERM.
The process must exit 0 within a bounded time, with no traceback, and say
how many events it could not publish (they are in the event log; the next
start's catch-up publishes them). Before, this ended in a
``ConnectionResetError`` traceback after 22 s.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]
STOP_WITHIN_S = 8.0  # publisher grace (1 s) + bus close (bounded at 8 s, about 0 s here) + uvicorn's own stop


def _buy(base: str, auth: dict, advisor: str, account: str, client_order_id: str) -> httpx.Response:
    return httpx.post(f"{base}/v1/orders", headers=auth, timeout=10, json={
        "account_id": account, "symbol": "AAPL", "side": "BUY", "quantity": 10, "order_type": "MARKET",
        "time_in_force": "DAY", "advisor_id": advisor, "client_order_id": client_order_id})


def test_shutdown_with_the_bus_unreachable_is_clean_and_bounded(nats_server, tmp_path):
    config = tmp_path / "live.toml"
    config.write_text(f'run_dir = "{tmp_path / "run"}"\n[bus]\nkind = "nats"\nurl = "{nats_server.url}"\n')
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "twin.cli", "serve", "--config", str(config), "--direct-venues",
                             "--port", str(port), "--no-access-log"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    out: list[str] = []
    err: list[str] = []
    threading.Thread(target=lambda: out.extend(proc.stdout), daemon=True).start()
    threading.Thread(target=lambda: err.extend(proc.stderr), daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        while not any(line.startswith("demo token") for line in out):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(out + err)
            time.sleep(0.05)
        advisor, account, secret = re.search(r"demo token for (ADV-\d+) \(accounts ([^,)]+).*: (\S+)$",
                                             "".join(out), re.M).groups()
        base, auth = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {secret}"}
        assert _buy(base, auth, advisor, account, "BUS-1").status_code == 201
        nats_server.kill()
        assert _buy(base, auth, advisor, account, "BUS-2").status_code == 201  # the order path does not wait
        time.sleep(0.5)
        started = time.monotonic()
        proc.terminate()
        proc.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    time.sleep(0.2)  # the reader threads drain the pipes
    stderr = "".join(err)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr, stderr
    unpublished = re.search(r"(\d+) event\(s\) not published at shutdown \(the bus is unreachable\)", stderr)
    assert unpublished and int(unpublished.group(1)) > 0, stderr
    assert took < STOP_WITHIN_S, f"stopped in {took:.1f} s"

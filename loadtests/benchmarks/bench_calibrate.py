"""Benchmark: the live API's cost per request kind, HTTP included, for the twin's live-stack model.

Starts ``twin serve`` exactly as ``make load`` does (``loadtests.run_load.serve_twin``: the same
live.toml, SQLite event log; ``--direct-venues`` by default, venues in process) and sends each
request kind of the locust mix (``loadtests/locustfile_http.py``) ``--requests`` times, one at
a time, on one keep-alive connection from a light client (``http.client``, no locust, no
think time). Per kind it measures:

* the response time of each request with nothing else in flight (``perf_counter_ns`` around
  send + read): the server's service time plus the loopback round trip and this client's
  small share; what the twin's single-server model of the live process draws from;
* the server process's CPU time per request (``/proc/PID/stat`` utime + stime over the
  kind's batch, in clock ticks, so a mean only).

It prints both and, with ``--profile FILE``, writes them into the service-time profile's
``http`` section (``scenarios.service_times``) with the mix's weights (``measured.http_mix``),
keeping its ``services`` section: ``twin capacity --locust`` then predicts the load test.

    python loadtests/benchmarks/bench_calibrate.py [--requests 200] [--profile scenarios/service_times/this_machine.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from loadtests.run_load import serve_twin  # noqa: E402
from loadtests.benchmarks import figures  # noqa: E402
from scenarios.service_times import summarise  # noqa: E402

MIX: dict[str, int] = {
    "POST /v1/orders MARKET": 30, "POST /v1/orders LIMIT": 20, "POST /v1/orders/[id]/cancel": 8,
    "GET /v1/orders/[id]": 17, "GET /v1/accounts/[id]/positions": 14, "POST /v1/blocks": 4,
    "BAD POST /v1/orders (422)": 7,
}
"""The locustfile's task weights, out of 100 (its four bad requests are measured as the 422 one)."""
_TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _server_pid(run_dir: Path) -> int | None:
    """The server process started for ``run_dir`` (its command line names the folder)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(run_dir).encode() in cmdline and b"--run-dir" in cmdline:  # `twin serve` execs `python -m live`
                return int(entry.name)
    return None


def _cpu_s(pid: int | None) -> float:
    if pid is None:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * _TICK_S  # utime, stime (fields 14, 15 of stat)


class Client:
    """One keep-alive connection; ``call`` returns (status, body, ns)."""

    def __init__(self, base_url: str, token: str):
        url = urlparse(base_url)
        self._conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self._headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict, int]:
        data = None if body is None else json.dumps(body).encode()
        start = time.perf_counter_ns()
        self._conn.request(method, path, body=data, headers=self._headers)
        response = self._conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter_ns() - start
        return response.status, json.loads(raw) if raw else {}, elapsed


def _order(advisor: dict, order_type: str, limit: str | None = None) -> dict:
    body = {"account_id": advisor["accounts"][0], "symbol": "AAPL", "side": "BUY", "quantity": 10,
            "order_type": order_type, "time_in_force": "DAY", "advisor_id": advisor["advisor_id"],
            "client_order_id": f"C-{uuid.uuid4().hex[:20]}"}
    if limit:
        body["limit_price"] = limit
    return body


def measure(requests: int, direct_venues: bool = True) -> dict[str, dict]:
    """Per kind: response times (ns) and server CPU seconds per request."""
    out: dict[str, dict] = {}
    with serve_twin(advisors=2, direct_venues=direct_venues) as served:
        people = json.loads(served.advisors_file.read_text())["advisors"]
        advisor = people[0]
        client = Client(served.base_url, advisor["token"])
        pid = _server_pid(served.run_dir)
        resting: list[str] = []
        orders: list[str] = []

        def one(kind: str) -> int:
            if kind == "POST /v1/orders MARKET":
                status, body, ns = client.call("POST", "/v1/orders", _order(advisor, "MARKET"))
                orders.append(body.get("order_id", ""))
            elif kind == "POST /v1/orders LIMIT":
                status, body, ns = client.call("POST", "/v1/orders", _order(advisor, "LIMIT", "186.20"))
                resting.append(body.get("order_id", ""))
            elif kind == "POST /v1/orders/[id]/cancel":
                status, _, ns = client.call("POST", f"/v1/orders/{resting.pop()}/cancel")
            elif kind == "GET /v1/orders/[id]":
                status, _, ns = client.call("GET", f"/v1/orders/{orders[len(orders) // 2]}")
            elif kind == "GET /v1/accounts/[id]/positions":
                status, _, ns = client.call("GET", f"/v1/accounts/{advisor['accounts'][0]}/positions")
            elif kind == "POST /v1/blocks":
                block = {"block_ref": f"B-{uuid.uuid4().hex[:20]}", "advisor_id": advisor["advisor_id"],
                         "symbol": "MSFT", "side": "BUY", "policy": "pro_rata", "order_type": "MARKET",
                         "time_in_force": "DAY",
                         "members": [{"account_id": a, "quantity": 100} for a in advisor["accounts"][:2]]}
                status, _, ns = client.call("POST", "/v1/blocks", block)
            else:
                status, _, ns = client.call("POST", "/v1/orders", _order(advisor, "LIMIT"))
            if status >= 500:
                raise RuntimeError(f"{kind}: server answered {status}")
            return ns

        for _ in range(50):  # warm-up: first calls, caches, books quoted
            one("POST /v1/orders MARKET")
            one("POST /v1/orders LIMIT")
        order = ["POST /v1/orders LIMIT"] + [k for k in MIX if k != "POST /v1/orders LIMIT"]
        for kind in order:  # limits first: the cancels need resting orders
            count = min(requests, len(resting)) if kind.endswith("cancel") else requests
            cpu0 = _cpu_s(pid)
            times = [one(kind) for _ in range(count)]
            cpu = _cpu_s(pid) - cpu0
            out[kind] = {"ns": times, "server_cpu_us": cpu / count * 1e6 if count else float("nan")}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per kind (default 200)")
    parser.add_argument("--fix-venues", action="store_true", help="venues behind embedded FIX sessions")
    parser.add_argument("--profile", default=None, help="service-time profile to write the http section into")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    measured = measure(args.requests, direct_venues=not args.fix_venues)
    print(f"live API, one request at a time, {args.requests} per kind (load average {load[0]:.2f})")
    print(f"{'request':<34}{'p50 us':>9}{'p95 us':>9}{'p99 us':>9}{'mean us':>9}{'server CPU us':>15}")
    http_section = {}
    for kind, m in measured.items():
        entry = summarise([ns / 1000 for ns in m["ns"]])
        entry["server_cpu_us"] = round(m["server_cpu_us"], 1)
        http_section[kind] = entry
        q = entry["quantiles_us"]
        mean = sum(m["ns"]) / len(m["ns"]) / 1000
        print(f"{kind:<34}{q['p50']:>9.0f}{q['p95']:>9.0f}{q['p99']:>9.0f}{mean:>9.0f}{m['server_cpu_us']:>15.0f}")
        figures.record(f"{kind}.p50_us", q["p50"], "us", "lower")
        figures.record(f"{kind}.p99_us", q["p99"], "us", "lower")
    if args.profile:
        path = Path(args.profile)
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["http"] = http_section
        doc.setdefault("measured", {})["http_mix"] = MIX
        doc["measured"]["http_how"] = (
            f"loadtests/benchmarks/bench_calibrate.py: twin serve ({'FIX' if args.fix_venues else 'direct'} venues, "
            f"SQLite log), {args.requests} requests per kind one at a time on one keep-alive http.client "
            f"connection; load average {load[0]:.2f} at the start")
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"profile: {path} (http section written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

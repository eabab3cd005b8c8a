"""``make load``: serve the live stack on loopback, run locust against it headless, report the verdict.

    python loadtests/run_load.py [-u 20] [-r 10] [-t 60s] [--out reports/out/load] [--advisors 20]
                                 [--direct-venues] [--slo FILE] [--slo-p99-ms MS] [--slo-max-error-rate F]

Steps: write a ``live.toml`` into a new temporary run folder (the advisors, each with a fresh
random token and three accounts; the default market with a rate limit high enough not to be
what is measured), start ``twin serve`` on a free loopback port, wait for ``/healthz``, run
``locust -f loadtests/locustfile_http.py --headless -u -r -t --csv --html`` against it, stop
the server (SIGTERM, a graceful stop), print where the CSV and HTML are and the SLO verdict.
The exit status is locust's: 0 the SLO was met, 1 breached, 2 refused to start. The run
folder (server log, events, tokens) is removed unless ``--keep-run-dir``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).with_name("locustfile_http.py")
SYMBOLS = {"AAPL": "190.00", "MSFT": "415.00"}
ACCOUNTS_PER_ADVISOR = 3
START_TIMEOUT_S = 90.0  # the embedded FIX venues log on before /healthz answers; slow on a busy machine


@dataclass(frozen=True, slots=True)
class Served:
    """A running ``twin serve``: its base URL, the advisors file for locust, its run folder."""

    base_url: str
    advisors_file: Path
    run_dir: Path
    log: Path


def live_toml(advisors: list[dict], direct_venues: bool) -> str:
    """The server's config: these advisors' accounts and tokens, two symbols, no session close."""
    lines = ['[session]\nenabled = false\n',  # DAY orders keep working whatever the hour
             '[event_log]\nkind = "sqlite"\n',
             f'[venue_link]\nmode = "{"direct" if direct_venues else "embedded"}"\n',
             # the rate limiter is not what a capacity test measures: buckets far above the offered load
             '[rate_limit]\nrate_per_s = 100000.0\nburst = 100000\n'
             'unauthenticated_rate_per_s = 100000.0\nunauthenticated_burst = 100000\n',
             # accounts trade all run long: limits that refuse nothing by accident
             '[risk]\nmax_daily_notional_per_account = "1000000000"\nduplicate_window_s = 0.0\n'
             'concentration_max_bps = 10000\n']
    lines += [f'[[symbols]]\nsymbol = "{s}"\nreference_price = "{p}"\n' for s, p in SYMBOLS.items()]
    for a in advisors:
        for account in a["accounts"]:
            held = ", ".join(f'{{ symbol = "{s}", quantity = 10000000 }}' for s in SYMBOLS)  # sells are not short
            lines.append(f'[[accounts]]\naccount_id = "{account}"\nclient_id = "CL-{account[3:]}"\n'
                         f'advisor_id = "{a["advisor_id"]}"\ncash = "1000000000.00"\npositions = [{held}]\n')
        lines.append(f'[[tokens]]\nadvisor_id = "{a["advisor_id"]}"\ntoken = "{a["token"]}"\n')
    return "\n".join(lines)


def make_advisors(count: int) -> list[dict]:
    """``count`` advisors, each with a fresh random token and its own accounts."""
    return [{"advisor_id": f"ADV-L{i:03d}", "token": secrets.token_urlsafe(24),
             "accounts": [f"AC-L{i:03d}{j}" for j in range(ACCOUNTS_PER_ADVISOR)]} for i in range(count)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def serve_twin(advisors: int = 20, direct_venues: bool = False, keep_run_dir: bool = False) -> Iterator[Served]:
    """``twin serve`` on a free loopback port with a fresh run folder, until the block ends."""
    run_dir = Path(tempfile.mkdtemp(prefix="twin-load-"))
    people = make_advisors(advisors)
    config = run_dir / "live.toml"
    config.write_text(live_toml(people, direct_venues), encoding="utf-8")
    advisors_file = run_dir / "advisors.json"
    advisors_file.write_text(json.dumps({"symbols": SYMBOLS, "advisors": people}), encoding="utf-8")
    os.chmod(advisors_file, 0o600)  # it holds the tokens
    port = _free_port()
    log = run_dir / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "twin.cli", "serve", "--config", str(config), "--run-dir",
                                 str(run_dir), "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
                                 "--log-level", "warning"], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"twin serve exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"twin serve: no /healthz within {START_TIMEOUT_S:g} s; log {log}")
            time.sleep(0.2)
        yield Served(url, advisors_file, run_dir, log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if not keep_run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)


def run_locust(served: Served, out_dir: Path, users: int, spawn_rate: float, run_time: str,
               slo_args: list[str] = (), quiet: bool = False) -> int:
    """Headless locust against ``served``; CSV under ``out_dir/load_*.csv``, HTML ``out_dir/load.html``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
               "-r", str(spawn_rate), "-t", run_time, "--host", served.base_url,
               "--advisors-file", str(served.advisors_file), "--csv", str(out_dir / "load"),
               "--html", str(out_dir / "load.html"), "--only-summary", *slo_args]
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL if quiet else None,
                          stderr=subprocess.DEVNULL if quiet else None)
    return done.returncode


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, serve, load, stop, report; the exit status is the SLO verdict (0 met)."""
    p = argparse.ArgumentParser(description="load-test twin serve on loopback with locust")
    p.add_argument("-u", "--users", type=int, default=20, help="concurrent advisors (default 20)")
    p.add_argument("-r", "--spawn-rate", type=float, default=10, help="users started per second (default 10)")
    p.add_argument("-t", "--run-time", default="60s", help="locust run time (default 60s)")
    p.add_argument("--advisors", type=int, default=None, help="advisors configured (default: one per user)")
    p.add_argument("--out", default=str(ROOT / "reports" / "out" / "load"), help="CSV/HTML folder")
    p.add_argument("--direct-venues", action="store_true", help="in-process venues, no FIX")
    p.add_argument("--keep-run-dir", action="store_true", help="keep the server's run folder (log, events)")
    p.add_argument("--slo", default=None, help="SLO file (default loadtests/slo.toml)")
    p.add_argument("--slo-p99-ms", type=float, default=None)
    p.add_argument("--slo-max-error-rate", type=float, default=None)
    args = p.parse_args(argv)
    if args.users < 1:
        p.error("--users: must be at least 1")
    slo_args = [*(["--slo-file", args.slo] if args.slo else []),
                *(["--slo-p99-ms", str(args.slo_p99_ms)] if args.slo_p99_ms is not None else []),
                *(["--slo-max-error-rate", str(args.slo_max_error_rate)] if args.slo_max_error_rate is not None
                  else [])]
    out = Path(args.out)
    with serve_twin(args.advisors or args.users, args.direct_venues, args.keep_run_dir) as served:
        print(f"run_load: twin serve up at {served.base_url} (run folder {served.run_dir})", flush=True)
        code = run_locust(served, out, args.users, args.spawn_rate, args.run_time, slo_args)
    print(f"run_load: stats {out / 'load_stats.csv'}, history {out / 'load_stats_history.csv'}, "
          f"failures {out / 'load_failures.csv'}, report {out / 'load.html'}")
    from loadtests.slo_check import main as slo_main

    if (out / "load_stats.csv").exists():
        slo_main([str(out / "load_stats.csv"), *(["--slo", args.slo] if args.slo else []),
                  *(["--p99-ms", str(args.slo_p99_ms)] if args.slo_p99_ms is not None else []),
                  *(["--max-error-rate", str(args.slo_max_error_rate)] if args.slo_max_error_rate is not None
                    else [])])
    print(f"run_load: locust exit status {code} ({'SLO met' if code == 0 else 'SLO breached or run failed'})")
    return code


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

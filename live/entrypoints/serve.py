"""``twin serve`` (or ``python -m live``): the live stack (HTTP order API, FIX gateway, event log, bus) under uvicorn.

    twin serve [--config live.toml] [--direct-venues] [--host 127.0.0.1] [--port 8080]

``twin serve`` hands over to this module (``python -m live``) without importing it: the twin and the live
runtime never import each other.

Without ``--config`` the embedded defaults apply: the default scenario's
market and limits, a small generated population, a demo token printed at
start-up, events in a SQLite file in a new run folder, and each venue
simulated in this process behind its own FIX acceptor on a free loopback
port, reached through the FIX gateway like a real venue. ``--direct-venues``
skips FIX (in-process venues, as before the gateway existed).
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import logging
import signal
import sys

HELP = "run the live stack: the HTTP order API, FIX gateway and venues"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from live.bootstrap import build_live
    from components.config.live import LiveConfigError, load_live_config
    from live.entrypoints.http_api import create_app

    try:
        config = load_live_config(args.config)
        if args.direct_venues:
            config = dataclasses.replace(config, venue_link=dataclasses.replace(config.venue_link, mode="direct"))
        if args.run_dir:
            config = dataclasses.replace(config, run_dir=args.run_dir)
    except LiveConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.config}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        live = build_live(config)
    except LiveConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the event log's database or the bus unreachable, a folder not writable, ...
        print(f"cannot start the live stack: {exc!r}", file=sys.stderr)
        return 1
    if not _is_loopback(args.host):
        print(f"warning: serving on {args.host}, which is not a loopback address", file=sys.stderr)
    # Our own lines (order accepted, refused, venue down, ...) go to stderr like uvicorn's, masked.
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(live, on_started=lambda: _banner(live, args))
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, puts the handlers it found back and
    # raises the signal again: ours turn it into a normal return, so the log and bus get closed.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _stop)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                    access_log=not args.no_access_log)
    except _Stopped:
        pass
    finally:
        live.close()
    return 0


class _Stopped(Exception):
    """SIGINT or SIGTERM, re-raised by uvicorn after its graceful shutdown."""


def _stop(signum, _frame) -> None:
    raise _Stopped(signum)


def _banner(live, args: argparse.Namespace) -> None:
    """Printed once the venues are up (their ports are known only then)."""
    print(f"twin serve: order API on http://{args.host}:{args.port} "
          f"({len(live.accounts)} accounts, symbols {', '.join(sorted(live.symbols))})", flush=True)
    for line in live.describe():
        print(f"twin serve: {line}", flush=True)
    if live.demo_token:
        mine = [a.account_id for a in live.accounts if a.advisor_id == live.demo_advisor]
        print(f"demo token for {live.demo_advisor} (accounts {', '.join(mine)}): {live.demo_token}", flush=True)


def build_parser() -> argparse.ArgumentParser:
    """The options of ``twin serve``."""
    serve = argparse.ArgumentParser(prog="twin serve", description=HELP)
    serve.add_argument("--config", default=None, help="live.toml (default: embedded defaults, demo token)")
    serve.add_argument("--direct-venues", action="store_true",
                       help="in-process venues without FIX (same as [venue_link] mode = \"direct\")")
    serve.add_argument("--run-dir", default=None,
                       help="run folder (overrides the config's run_dir): its events.sqlite is the event log, "
                            "so serving again on the same folder carries on from it (default: a new temporary folder)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.add_argument("--no-access-log", action="store_true", help="no per-request log lines")
    return serve


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line) and serve until SIGINT/SIGTERM; the exit status."""
    return _cmd_serve(build_parser().parse_args(argv))

"""``twin serve`` (or ``python -m live``): the live stack (HTTP order API, FIX gateway, event log, bus) under uvicorn.

    twin serve [--config live.toml] [--direct-venues] [--run-dir DIR] [--read-only] [--anchor-key-file F]
               [--host 127.0.0.1] [--port 8080]

Before serving, a log that holds events is verified with its anchors (``live.adapters.anchoring``):
a finding refuses the start (offset and reason on stderr, exit status 1) unless ``--read-only``,
which serves it for investigation and accepts no change (docs/live.md, "Records you can prove").

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
        if args.anchor_key_file:
            config = dataclasses.replace(config, event_log=dataclasses.replace(
                config.event_log, anchor_key_file=args.anchor_key_file))
    except LiveConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.config}: {exc.strerror}", file=sys.stderr)
        return 2
    taken = _port_taken(args.host, args.port)
    if taken:  # before the stack is built: no log opened, no start and stop anchors for a server that never ran
        print(f"--port {args.port}: cannot listen on {args.host}:{args.port}: {taken}", file=sys.stderr)
        return 2
    # Our own lines (order accepted, refused, venue down, the log's notes as it is verified, ...) go to stderr
    # like uvicorn's, masked; configured before the stack is built, so the start's own lines have this form too.
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from live.adapters.anchoring import TamperedLog
    from live.run_lock import RunFolderInUse

    try:
        live = build_live(config, read_only=args.read_only, adopt_anchor_key=args.adopt_anchor_key)
    except RunFolderInUse as exc:  # a second writer would leave anchors the next start reads as tampering
        print(f"REFUSED: {exc}", file=sys.stderr)
        return 1
    except TamperedLog as exc:
        finding = exc.check.finding
        print(f"REFUSED: the event log failed verification at offset {finding.offset} ({finding.kind}): "
              f"{finding.reason}", file=sys.stderr)
        print("the log is not served; to investigate, start it with --read-only (nothing can be changed)",
              file=sys.stderr)
        return 1
    except LiveConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the event log's database or the bus unreachable, a folder not writable, ...
        print(f"cannot start the live stack: {exc!r}", file=sys.stderr)
        return 1
    # The event log's notes (no anchor key, records not anchored) were logged by build_live, once, and the
    # banner repeats them as the start's summary.
    if live.read_only:
        print(f"warning: READ-ONLY: {live.read_only}", file=sys.stderr)
    if not _is_loopback(args.host):
        print(f"warning: serving on {args.host}, which is not a loopback address", file=sys.stderr)
    from live.heap import settle_heap

    def started() -> None:
        if args.gc == "live":
            settle_heap()  # the stack is up: what it built lives as long as the process
        _banner(live, args)

    app = create_app(live, on_started=started)
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


def _port_taken(host: str, port: int) -> str:
    """Why ``host:port`` cannot be listened on now (in use, not an address here), or "" when it can. Checked by
    binding and letting go at once, as uvicorn binds (SO_REUSEADDR): a race with another process remains."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        return exc.strerror or str(exc)
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            return exc.strerror or str(exc)
    return ""


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
                       help="run folder (overrides the config's run_dir): it holds the anchor file events.anchors "
                            "and, for [event_log] kind = \"sqlite\" without a path, the log events.sqlite; a "
                            "PostgreSQL log lives in its database (dsn, schema) with its anchors also in the "
                            "event_anchors table. Serving again on the same folder and log carries on after "
                            "verifying both (default: a new temporary folder)")
    serve.add_argument("--read-only", action="store_true",
                       help="start even on an event log that fails verification, for investigation: no order, "
                            "block, cancel or trading-state change is accepted (503), /healthz says why")
    serve.add_argument("--anchor-key-file", default=None,
                       help="file holding the anchor key (overrides [event_log] anchor_key_file and "
                            "$TWIN_ANCHOR_KEY); it must not be inside the run folder")
    serve.add_argument("--adopt-anchor-key", action="store_true",
                       help="accept a log whose anchors were written without a key (before one was configured) "
                            "and anchor it with the key from now on; without this, unkeyed anchors under a key "
                            "refuse the start (anyone can write them)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.add_argument("--no-access-log", action="store_true", help="no per-request log lines")
    serve.add_argument("--gc", choices=("live", "default"), default="live",
                       help="garbage collector: the live policy (live/heap.py: passes only over what is new; "
                            "the default) or CPython's defaults")
    return serve


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default: the command line) and serve until SIGINT/SIGTERM; the exit status."""
    return _cmd_serve(build_parser().parse_args(argv))

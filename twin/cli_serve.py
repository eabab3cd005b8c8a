"""``twin serve``: the live stack (HTTP order API, in-process venues) under uvicorn.

    twin serve [--config live.toml] [--host 127.0.0.1] [--port 8080]

Without ``--config`` the embedded defaults apply (the default scenario's
market and limits, a small generated population) and a demo token is printed.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from components.live.bootstrap import build_live
    from components.live.config import LiveConfigError, load_live_config
    from components.live.http_api import create_app

    try:
        live = build_live(load_live_config(args.config))
    except LiveConfigError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.config}: {exc.strerror}", file=sys.stderr)
        return 2
    if not _is_loopback(args.host):
        print(f"warning: serving on {args.host}, which is not a loopback address", file=sys.stderr)
    # Our own lines (order accepted, refused, ...) go to stderr like uvicorn's, masked.
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(live)
    print(f"twin serve: order API on http://{args.host}:{args.port} "
          f"({len(live.accounts)} accounts, symbols {', '.join(sorted(live.symbols))})", flush=True)
    if live.demo_token:
        mine = [a.account_id for a in live.accounts if a.advisor_id == live.demo_advisor]
        print(f"demo token for {live.demo_advisor} (accounts {', '.join(mine)}): {live.demo_token}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                access_log=not args.no_access_log)
    return 0


def register(subparsers) -> None:
    serve = subparsers.add_parser("serve", help="run the live stack: the HTTP order API on in-process venues")
    serve.add_argument("--config", default=None, help="live.toml (default: embedded defaults, demo token)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    serve.add_argument("--no-access-log", action="store_true", help="no per-request log lines")
    serve.set_defaults(func=_cmd_serve)

"""``twin slo-rules [SLO_FILE] [--out FILE] [--check] [--time-scale N]``: Prometheus rules from the OpenSLO file.

Writes the recording rules and the burn-rate and budget alerts that
``components.observability.slo`` generates from ``slo/platform.yaml`` (the
default) to ``slo/rules.yaml`` (the default), or with ``--check`` only says
whether that file is up to date (exit 1 if not), as CI would. ``--time-scale 60``
writes the test variant (every window and ``for:`` sixty times shorter: 1h -> 60s,
same alert names and labels) that a real Prometheus can be driven through in a
one-minute test (``tests/integration/test_prometheus_scrape.py``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.observability.slo import DEFAULT_SLO_FILE, SloError, alert_rules, load_slos, render_rules

DEFAULT_RULES = DEFAULT_SLO_FILE.parent / "rules.yaml"


def register(subparsers) -> None:
    """Add ``slo-rules`` to the ``twin`` command line."""
    cmd = subparsers.add_parser("slo-rules", help="generate Prometheus SLO rules from the OpenSLO file")
    cmd.add_argument("slo_file", nargs="?", default=str(DEFAULT_SLO_FILE), help="OpenSLO YAML (default: %(default)s)")
    cmd.add_argument("--out", default=str(DEFAULT_RULES), help="rule file to write (default: %(default)s)")
    cmd.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out is stale")
    cmd.add_argument("--time-scale", type=int, default=1, metavar="N",
                     help="test variant: divide every window and for: by N (e.g. 60: 1h -> 60s)")
    cmd.set_defaults(func=_cmd_slo_rules)


def _cmd_slo_rules(args: argparse.Namespace) -> int:
    try:
        slos = load_slos(args.slo_file)
    except SloError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.slo_file}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        text, out = render_rules(slos, args.time_scale), Path(args.out)
    except ValueError as exc:  # a window that does not divide by the scale
        print(f"--time-scale {args.time_scale}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = out.read_text() if out.exists() else ""
        print(f"{out}: {'up to date' if current == text else 'STALE (run twin slo-rules)'}")
        return 0 if current == text else 1
    out.write_text(text)
    print(f"{out}: {len(slos)} SLOs, {sum(len(alert_rules(s)) for s in slos)} alerts"
          + (f" (test variant, time scale {args.time_scale})" if args.time_scale != 1 else ""))
    return 0

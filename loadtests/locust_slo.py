"""What every locustfile here shares: the SLO options and the end-of-run verdict as locust's exit code.

Imports gevent and locust, so only locustfiles import it (``slo_check`` stays importable without them).
"""

from __future__ import annotations

import sys

import gevent
from locust.stats import CSV_STATS_INTERVAL_SEC

from loadtests.slo_check import Measured, check, load_slo


def add_slo_options(parser) -> None:
    """``--slo-file``, ``--slo-p99-ms``, ``--slo-max-error-rate`` on locust's command line."""
    parser.add_argument("--slo-file", env_var="LOAD_SLO_FILE", default="", help="SLO TOML (default loadtests/slo.toml)")
    parser.add_argument("--slo-p99-ms", type=float, default=None, help="p99 limit in ms (overrides the file)")
    parser.add_argument("--slo-max-error-rate", type=float, default=None, help="failed fraction limit, 0..1")


def check_slo_options(options) -> None:
    """Raise SloError now, before any user starts, if the SLO options or file are bad."""
    load_slo(options.slo_file or None, options.slo_p99_ms, options.slo_max_error_rate)


def judge(environment) -> None:
    """At ``quitting``: print the verdict over the whole run and set the exit code (0 met, 1 breached)."""
    options = environment.parsed_options
    if getattr(options, "csv_prefix", None):
        # locust's CSV writer rewrites the stats file every CSV_STATS_INTERVAL_SEC and does not write
        # once more at the end: yield to it for one more round, so the CSV holds the final figures
        # (the same ones this verdict uses) rather than those of up to a second before the end.
        gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.2)
    slo = load_slo(options.slo_file or None, options.slo_p99_ms, options.slo_max_error_rate)
    total = environment.stats.total
    measured = Measured(total.num_requests, total.num_failures, total.get_response_time_percentile(0.50) or 0.0,
                        total.get_response_time_percentile(0.95) or 0.0,
                        total.get_response_time_percentile(0.99) or 0.0, total.total_rps)
    verdict = check(measured, slo)
    print(verdict.describe(measured, slo), file=sys.stderr, flush=True)
    environment.process_exit_code = 0 if verdict.passed else 1

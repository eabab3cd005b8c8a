"""``twin review RUN_DIR [--out F]``: the FINRA Rule 5310 regular and rigorous review of a run.

Reads the run folder's TCA (``tca_orders.parquet``; computed first from the event log and market
timeline when absent), compares venues within each order class (market, marketable limit, non-marketable limit) and
order classes with each other
(``reports.best_ex_review``: Welch t-tests, Holm-adjusted, a minimum sample and materiality
thresholds), and writes the HTML review (default ``RUN_DIR/best_ex_review.html``) with its parquet
tables beside it. Prints one line per flag. Exit codes: 0 written (flags or not), 2 bad input.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    cmd = subparsers.add_parser("review", help="best-execution review (FINRA 5310) of a run folder's TCA")
    cmd.add_argument("run", help="run folder written by `twin run` (or `twin replay`)")
    cmd.add_argument("--out", default=None, help="HTML file to write (default: RUN_DIR/best_ex_review.html); "
                                                 "its parquet tables go beside it")
    cmd.add_argument("--alpha", type=float, default=None, help="family-wise error of the review (default 0.05)")
    cmd.add_argument("--min-orders", type=int, default=None,
                     help="orders needed on each side of a comparison to test it (default 30)")
    cmd.set_defaults(func=_cmd_review)


def _cmd_review(args: argparse.Namespace) -> int:
    from reports import best_ex_review
    from reports.tca import TcaInputError

    alpha = best_ex_review.ALPHA if args.alpha is None else args.alpha
    min_orders = best_ex_review.MIN_ORDERS if args.min_orders is None else args.min_orders
    try:
        path, tests = best_ex_review.write_review(args.run, args.out, alpha, min_orders)
    except (TcaInputError, ValueError, OSError) as exc:
        print(f"review: {exc}", file=sys.stderr)
        return 2
    tested = int((tests["status"] == "tested").sum()) if not tests.empty else 0
    flagged = tests[tests["flagged"]] if not tests.empty else tests
    print(f"review of {args.run}: {len(tests)} comparisons, {tested} tested, {len(flagged)} material difference(s)")
    for r in flagged.itertuples(index=False):
        print(f"  FLAG {r.dimension} {r.group} ({r.stratum}): {r.metric_label} {r.verdict}: "
              f"{r.mean:.3f} vs {r.mean_rest:.3f} {r.unit} (n {r.n} vs {r.n_rest}, Holm p {r.p_holm:.2g})")
    print(f"written: {path}")
    return 0

"""``twin review RUN_DIR [--out F]``: the FINRA Rule 5310 regular and rigorous review of a run.

Reads the run folder's TCA (``tca_orders.parquet``; computed first from the event log and market
timeline when absent), compares venues within each order class (market, marketable limit, non-marketable limit) and
order classes with each other
(``reports.best_ex_review``: Welch t-tests, Holm-adjusted, a minimum sample and materiality
thresholds), and writes the HTML review (default ``RUN_DIR/best_ex_review.html``) with its parquet
tables beside it. Prints what was tested and flagged, venues apart from order classes (an order-class flag
is a trade-off, not a venue problem), then one line per flag. Exit codes: 0 written (flags or not), 2 bad
input or nothing to compare (one line; no review written, though a run folder without TCA has its TCA
files written first).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NAMES_SHOWN = 4
"""Groups a FLAG line names as what it was compared with; more are counted ("the 9 other venues")."""


def _alpha(text: str) -> float:
    """``--alpha``: checked where argparse reads it, so the error names the option as typed."""
    from reports.best_ex_review import alpha_problem

    try:
        value = float(text)
    except ValueError:
        value = text
    if problem := alpha_problem(value):
        raise argparse.ArgumentTypeError(problem)
    return value


def _min_orders(text: str) -> int:
    """``--min-orders``: as ``_alpha``."""
    from reports.best_ex_review import min_orders_problem

    try:
        value: int | str = int(text)
    except ValueError:
        value = text
    if problem := min_orders_problem(value):
        raise argparse.ArgumentTypeError(problem)
    return value


def register(subparsers) -> None:
    cmd = subparsers.add_parser("review", help="best-execution review (FINRA 5310) of a run folder's TCA")
    cmd.add_argument("run", help="run folder written by `twin run` (or a policy's folder written by `twin replay`)")
    cmd.add_argument("--out", default=None, help="HTML file to write (default: RUN_DIR/best_ex_review.html); "
                                                 "its parquet tables go beside it")
    cmd.add_argument("--alpha", type=_alpha, default=None, help="family-wise error of the review (default 0.05)")
    cmd.add_argument("--min-orders", type=_min_orders, default=None,
                     help="orders needed on each side of a comparison to test it (default 30)")
    cmd.set_defaults(func=_cmd_review)


def _cmd_review(args: argparse.Namespace) -> int:
    from reports import best_ex_review as rv
    from reports.tca import TcaInputError

    alpha = rv.ALPHA if args.alpha is None else args.alpha
    min_orders = rv.MIN_ORDERS if args.min_orders is None else args.min_orders
    if args.out and Path(args.out).is_dir():  # before the review: its tables would go into the folder's parent
        print(f"review: --out {args.out}: a folder; give the HTML file to write", file=sys.stderr)
        return 2
    try:
        orders = rv.run_orders(args.run)
        path, tests = rv.write_review(args.run, args.out, alpha, min_orders, orders=orders, require_test=True)
    except (TcaInputError, ValueError, OSError) as exc:  # NothingToCompare is a ValueError
        print(f"review: {exc}", file=sys.stderr)
        return 2
    tested = int((tests["status"] == "tested").sum())
    print(f"review of {args.run}: {len(orders)} routed orders, {len(tests)} comparisons, {tested} tested "
          f"(Holm-adjusted over the {tested}, alpha {alpha}, {min_orders} orders a side at least)")
    for s in rv.summarize(tests):
        d = rv.DIMENSIONS[s.dimension]
        head = f"  {d.plural}, {d.against}" + (f" ({d.note})" if d.note else "")
        if not s.comparisons:
            print(f"{head}: nothing to compare ({d.nothing})")
            continue
        untested = s.comparisons - s.tests
        print(f"{head}: {s.flagged} material difference(s) in {s.tests} tests"
              + (f"; {untested} not tested (too few orders)" if untested else ""))
    for r in tests[tests["flagged"]].itertuples(index=False):
        d = rv.DIMENSIONS[r.dimension]
        rest = r.compared_with.split(", ")
        against = r.compared_with if len(rest) <= NAMES_SHOWN else f"the {len(rest)} other {d.plural}"
        print(f"  FLAG {d.name} {r.group} vs {against} ({r.stratum}): {r.metric_label} {r.verdict}: "
              f"{r.mean:.3f} vs {r.mean_rest:.3f} {r.unit} (n {r.n} vs {r.n_rest}, Holm p {r.p_holm:.2g})")
    print(f"written: {path}")
    return 0

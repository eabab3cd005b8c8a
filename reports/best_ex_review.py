"""The FINRA Rule 5310 "regular and rigorous review" of a run's execution quality.

Rule 5310 asks a broker-dealer that routes customer orders to compare, regularly and rigorously, the
execution quality it gets at each venue (and for each order type) with what competing markets offer,
and to act on material differences. This module does the comparison on a run's per-order TCA
(``reports.tca``: ``tca_orders.parquet``) and writes the evidence:

* ``best_ex_review_tests.parquet``: one row per comparison: a group (a venue within one order class,
  or an order class over all orders: market, marketable limit, non-marketable limit) against the rest of its
  stratum (``compared_with`` names the rest's groups), on one metric: counts, means,
  95% confidence intervals, the difference, Welch's t statistic, its p-value, the Holm-adjusted
  p-value, and the verdict;
* ``best_ex_review_orders.parquet``: the orders behind every flagged comparison, with their values;
* an HTML page (``templates/best_ex_review.html.j2``) with the parameters, the flags with their
  evidence and every comparison.

The statistics (docs/tca.md, "The review"): Welch's unequal-variance t-test of the group's mean
against the rest's, a 95% Welch confidence interval of the difference, Holm's step-down adjustment
over every test of the review (family-wise error ``alpha``); a comparison is tested only when both
sides have at least ``min_orders`` orders with the metric, and **flagged** when its adjusted p-value
is below ``alpha`` and the difference is at least the metric's materiality threshold. A flag says
"worse" or "better" (which way is better depends on the metric).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy import stats

from . import tca as tca_report


@dataclass(frozen=True, slots=True)
class ReviewMetric:
    """One reviewed metric: a ``tca_orders`` column (or ``time_to_first_fill_ms``, derived), which way is
    better, and the smallest difference of means that counts as material, in the metric's unit."""

    column: str
    label: str
    better: str  # "lower" or "higher"
    material: float
    unit: str


METRICS: tuple[ReviewMetric, ...] = (
    ReviewMetric("effective_spread_bps", "effective spread", "lower", 1.0, "bps"),
    ReviewMetric("price_improvement_bps", "price improvement vs NBBO", "higher", 1.0, "bps"),
    ReviewMetric("arrival_slippage_bps", "arrival-price slippage", "lower", 1.0, "bps"),
    ReviewMetric("is_total_bps", "implementation shortfall", "lower", 1.0, "bps"),
    ReviewMetric("fill_rate", "fill rate", "higher", 0.05, "fraction"),
    ReviewMetric("time_to_first_fill_ms", "time to first fill", "lower", 50.0, "ms"),
)
"""What the review compares, with materiality thresholds (docs/tca.md explains the choice)."""

ALPHA = 0.05
MIN_ORDERS = 30
TESTS_FILE = "best_ex_review_tests.parquet"
ORDERS_FILE = "best_ex_review_orders.parquet"
REVIEW_FILE = "best_ex_review.html"
EVIDENCE_ROWS = 25
"""Orders shown per flag on the page (worst first); the parquet table has them all."""

ORDER_COLUMNS: tuple[str, ...] = (
    "order_id", "symbol", "side", "order_type", "order_class", "venue", "quantity", "filled_qty",
    *(m.column for m in METRICS if m.column != "time_to_first_fill_ms"), "time_to_first_fill_ns")
"""The ``tca_orders`` columns the review reads (the metrics, the groups and each flag's evidence)."""
TEST_COLUMNS: tuple[str, ...] = (
    "test_id", "dimension", "stratum", "group", "metric", "metric_label", "unit", "better", "materiality", "n",
    "n_rest", "mean", "mean_rest", "ci_low", "ci_high", "ci_low_rest", "ci_high_rest", "diff", "diff_ci_low",
    "diff_ci_high", "t", "df", "p", "status", "p_holm", "verdict", "flagged", "compared_with")
"""``best_ex_review_tests.parquet``'s columns, in order, whether or not the review has a row: ``compared_with``
(the other groups of the stratum, comma-separated) came last so older readers find the rest in place."""
EVIDENCE_COLUMNS: tuple[str, ...] = ("test_id", "order_id", "symbol", "side", "order_type", "order_class", "venue",
                                     "quantity", "filled_qty", "value")
"""``best_ex_review_orders.parquet``'s columns, in order."""


@dataclass(frozen=True, slots=True)
class Dimension:
    """What a comparison's ``dimension`` compares, in words for the console and the page."""

    name: str
    plural: str
    against: str
    note: str  # what its flags mean, when that is not a venue problem
    nothing: str  # why it has no comparison


DIMENSIONS: dict[str, Dimension] = {
    "venue": Dimension("venue", "venues", "each against the other venues of its order class", "",
                       "fewer than two venues in every order class"),
    "order_class": Dimension("order class", "order classes", "each against the other classes over all orders",
                             "trade-offs of cost against fill rate and speed, not venue problems",
                             "one order class"),
}
"""The two dimensions, venue first: a venue flag asks for action, an order-class flag describes a trade-off
(docs/tca.md, "The review")."""


@dataclass(frozen=True, slots=True)
class DimensionSummary:
    """One dimension's counts: comparisons (a group on a metric), how many were tested, how many flagged."""

    dimension: str
    comparisons: int
    tests: int
    flagged: int


class NothingToCompare(ValueError):
    """A review that can test nothing (no two groups to compare, or too few orders on a side): the message,
    from ``nothing_to_compare``, says which."""


@dataclass(frozen=True, slots=True)
class Welch:
    """Welch's t-test of ``mean(a) - mean(b)``: statistic, degrees of freedom, two-sided p, 95% CI."""

    diff: float
    t: float
    df: float
    p: float
    ci_low: float
    ci_high: float


def welch(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> Welch:
    """Welch's unequal-variance t-test and the confidence interval of the difference of means::

        d = mean(a) - mean(b),  se = sqrt(var(a)/n_a + var(b)/n_b)   (sample variances, ddof 1)
        t = d / se,  df = se^4 / ((var(a)/n_a)^2/(n_a-1) + (var(b)/n_b)^2/(n_b-1))
        p = 2 * (1 - T_df(|t|)),  CI = d -/+ T_df^-1((1+confidence)/2) * se

    Both sides need two values or more. With no variance on either side (se = 0) the difference is
    exact: p is 0 when the means differ, else 1, and the interval is the point."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"Welch's test needs two values a side, got {len(a)} and {len(b)}")
    diff = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return Welch(diff, math.copysign(math.inf, diff) if diff else 0.0, float(len(a) + len(b) - 2),
                     0.0 if diff else 1.0, diff, diff)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t = diff / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf((1 + confidence) / 2, df)) * se
    return Welch(diff, float(t), float(df), p, diff - half, diff + half)


def mean_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of a mean (the point itself for a single value)."""
    values = np.asarray(values, dtype=float)
    m = float(values.mean())
    if len(values) < 2:
        return m, m
    half = float(stats.t.ppf((1 + confidence) / 2, len(values) - 1)) * float(values.std(ddof=1)) / math.sqrt(len(values))
    return m - half, m + half


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error control), in the input order:
    sort ascending, ``p_(i) * (m - i)`` (i from 0), running maximum, capped at 1."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, p_values[i] * (m - rank)))
        adjusted[i] = running
    return adjusted


def alpha_problem(alpha: Any) -> str | None:
    """What is wrong with ``alpha`` as the review's family-wise error (None when nothing is)."""
    ok = isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and 0 < alpha < 1  # NaN fails 0 < alpha
    return None if ok else f"must be between 0 and 1 (exclusive), got {alpha!r}"


def min_orders_problem(min_orders: Any) -> str | None:
    """What is wrong with ``min_orders`` (orders needed on each side of a test; None when nothing is)."""
    ok = type(min_orders) is int and min_orders >= 2  # not a bool, not 2.0
    return None if ok else f"must be a whole number, 2 or more, got {min_orders!r}"


def check_orders(orders: pd.DataFrame, source: str) -> None:
    """Raise ``ValueError`` naming ``source`` and every ``ORDER_COLUMNS`` column ``orders`` lacks."""
    missing = [c for c in ORDER_COLUMNS if c not in orders.columns]
    if missing:
        raise ValueError(f"{source}: missing column(s) {', '.join(missing)}")


def _values(orders: pd.DataFrame) -> pd.DataFrame:
    frame = orders.copy()
    frame["time_to_first_fill_ms"] = pd.to_numeric(frame["time_to_first_fill_ns"], errors="coerce") / 1e6
    for m in METRICS:
        frame[m.column] = pd.to_numeric(frame[m.column], errors="coerce")
    return frame


def _comparisons(frame: pd.DataFrame) -> list[tuple[str, str, str, pd.Series, list[str]]]:
    """(dimension, stratum, group, mask of the stratum's rows in the group, the stratum's other groups) for
    each comparison: each venue against the other venues within one order class (market, marketable limit,
    non-marketable limit: like with like); each order class against the others over all orders."""
    out = []
    for order_class, stratum in frame.groupby("order_class", sort=True):
        venues = stratum["venue"].astype(str)
        for venue, rest in _groups(venues):
            out.append(("venue", f"order_class={order_class}", venue, venues == venue, rest))
    classes = frame["order_class"].astype(str)
    for order_class, rest in _groups(classes):
        out.append(("order_class", "all orders", order_class, classes == order_class, rest))
    return out


def _groups(column: pd.Series) -> list[tuple[str, list[str]]]:
    """The groups to compare with the rest, each with the rest's groups: none for one group; the first
    alone for two (the second's test is its mirror image and would count twice in Holm's adjustment);
    each of three or more."""
    groups = sorted(column.unique())
    chosen = [] if len(groups) < 2 else groups[:1] if len(groups) == 2 else groups
    return [(g, [o for o in groups if o != g]) for g in chosen]


def review(orders: pd.DataFrame, alpha: float = ALPHA, min_orders: int = MIN_ORDERS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The review of ``tca_orders``: (tests, evidence orders), with ``TEST_COLUMNS`` and ``EVIDENCE_COLUMNS``
    even when there is nothing to compare. See the module docstring for the rule."""
    for name, problem in (("alpha", alpha_problem(alpha)), ("min_orders", min_orders_problem(min_orders))):
        if problem:
            raise ValueError(f"{name} {problem}")
    if orders is None or orders.empty:
        orders = pd.DataFrame(columns=list(ORDER_COLUMNS))
    check_orders(orders, "orders")
    frame = _values(orders)
    rows: list[dict[str, Any]] = []
    for dimension, stratum, group, mask, rest in _comparisons(frame):
        in_stratum = frame.loc[mask.index]
        for metric in METRICS:
            a = in_stratum.loc[mask, metric.column].dropna().to_numpy()
            b = in_stratum.loc[~mask, metric.column].dropna().to_numpy()
            row: dict[str, Any] = {
                "test_id": f"{dimension}:{stratum}:{group}:{metric.column}", "dimension": dimension,
                "stratum": stratum, "group": group, "metric": metric.column, "metric_label": metric.label,
                "unit": metric.unit, "better": metric.better, "materiality": metric.material,
                "n": int(len(a)), "n_rest": int(len(b)),
                "mean": float(a.mean()) if len(a) else None, "mean_rest": float(b.mean()) if len(b) else None,
                "compared_with": ", ".join(rest),
            }
            row["ci_low"], row["ci_high"] = mean_ci(a) if len(a) else (None, None)
            row["ci_low_rest"], row["ci_high_rest"] = mean_ci(b) if len(b) else (None, None)
            if len(a) >= min_orders and len(b) >= min_orders:
                w = welch(a, b)
                row.update(diff=w.diff, diff_ci_low=w.ci_low, diff_ci_high=w.ci_high, t=w.t, df=w.df, p=w.p,
                           status="tested")
            else:
                row.update(diff=None if row["mean"] is None or row["mean_rest"] is None else row["mean"] - row["mean_rest"],
                           diff_ci_low=None, diff_ci_high=None, t=None, df=None, p=None,
                           status=f"insufficient sample (fewer than {min_orders} orders a side)")
            rows.append(row)
    tests = pd.DataFrame(rows, columns=list(TEST_COLUMNS))
    tested = tests["status"] == "tested"
    tests["p_holm"] = None
    if tested.any():
        tests.loc[tested, "p_holm"] = holm(tests.loc[tested, "p"].astype(float).tolist())
    verdicts = []
    for r in tests.itertuples(index=False):
        if r.status != "tested":
            verdicts.append("not tested")
        elif r.p_holm < alpha and abs(r.diff) >= r.materiality:
            worse = r.diff > 0 if r.better == "lower" else r.diff < 0
            verdicts.append("materially worse" if worse else "materially better")
        else:
            verdicts.append("no material difference")
    tests["verdict"] = pd.Series(verdicts, index=tests.index, dtype=object)
    # bool even with no row: an empty object column used as a mask would select columns, not rows
    tests["flagged"] = tests["verdict"].str.startswith("materially").astype(bool)
    evidence = []
    for r in tests[tests["flagged"]].itertuples(index=False):
        column = r.dimension
        stratum = frame if r.stratum == "all orders" else frame[frame["order_class"] == r.stratum.split("=", 1)[1]]
        chosen = stratum[(stratum[column].astype(str) == r.group) & stratum[r.metric].notna()]
        chosen = chosen.sort_values(r.metric, ascending=r.better == "higher")  # worst first
        for o in chosen.itertuples(index=False):
            evidence.append({"test_id": r.test_id, "order_id": o.order_id, "symbol": o.symbol, "side": o.side,
                             "order_type": o.order_type, "order_class": o.order_class, "venue": o.venue,
                             "quantity": int(o.quantity),
                             "filled_qty": int(o.filled_qty), "value": float(getattr(o, r.metric))})
    return tests, pd.DataFrame(evidence, columns=list(EVIDENCE_COLUMNS))


def summarize(tests: pd.DataFrame) -> tuple[DimensionSummary, ...]:
    """Per dimension (venue first, as ``DIMENSIONS``): comparisons, tested, flagged. The two are kept apart
    because a venue flag asks for action and an order-class flag describes a trade-off."""
    out = []
    for dimension in DIMENSIONS:
        rows = tests[tests["dimension"] == dimension]
        out.append(DimensionSummary(dimension, len(rows), int((rows["status"] == "tested").sum()),
                                    int(rows["flagged"].astype(bool).sum())))
    return tuple(out)


def nothing_to_compare(orders: pd.DataFrame, tests: pd.DataFrame, min_orders: int) -> str | None:
    """Why the review of ``orders`` (giving ``tests``) tested nothing, in one line; None when it tested
    something."""
    if (tests["status"] == "tested").any():
        return None
    n = 0 if orders is None else len(orders)
    if n == 0:
        return "nothing to compare: the run routed no order"
    if tests.empty:
        return (f"nothing to compare: {_count(n, 'routed order')} in {_count(orders['venue'].nunique(), 'venue')} "
                f"and {_count(orders['order_class'].nunique(), 'order class')}; a comparison needs two venues in "
                f"one order class, or two order classes")
    closest = tests.loc[np.minimum(tests["n"], tests["n_rest"]).astype(int).idxmax()]
    return (f"nothing to compare: {_count(n, 'routed order')}, and no comparison has {min_orders} orders on each "
            f"side (the closest: {closest['n']} vs {closest['n_rest']}; --min-orders sets the minimum)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"


def _write(frame: pd.DataFrame, path: Path, meta: dict[str, str]) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    merged = {**(table.schema.metadata or {}), **{f"twin.{k}".encode(): v.encode() for k, v in meta.items()}}
    pq.write_table(table.replace_schema_metadata(merged), path)


RUN_FILES = ("events.parquet", tca_report.ORDERS_FILE)
"""A run folder has its event log (TCA is computed from it when absent) or its TCA already."""


def run_orders(run_dir: Path) -> pd.DataFrame:
    """A run folder's ``tca_orders`` (computed first from its event log and market timeline when absent),
    checked for the review's columns; ``TcaInputError`` naming the folder or file when it cannot be read."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        what = "a file" if run_dir.exists() else "no such folder"
        raise tca_report.TcaInputError(f"{run_dir}: not a run folder ({what})")
    if not any((run_dir / name).exists() for name in RUN_FILES):
        inside = sorted(p.name for p in run_dir.iterdir()
                        if p.is_dir() and any((p / name).exists() for name in RUN_FILES))
        hint = f"; review one of the run folders in it: {', '.join(inside)}" if inside else ""  # a `twin replay` folder
        raise tca_report.TcaInputError(f"{run_dir}: not a run folder (no {' or '.join(RUN_FILES)}){hint}")
    if not (run_dir / tca_report.ORDERS_FILE).exists():
        tca_report.write_tca(run_dir)
    orders = tca_report.read_tca_orders(run_dir)
    if not orders.empty:
        try:
            check_orders(orders, str(run_dir / tca_report.ORDERS_FILE))
        except ValueError as exc:
            raise tca_report.TcaInputError(str(exc)) from None
    return orders


def write_review(run_dir: Path, out: Path | None = None, alpha: float = ALPHA, min_orders: int = MIN_ORDERS, *,
                 orders: pd.DataFrame | None = None, require_test: bool = False) -> tuple[Path, pd.DataFrame]:
    """Review a run folder: its TCA (``orders``, else ``run_orders(run_dir)``), the HTML at ``out`` (default
    ``RUN_DIR/best_ex_review.html``) and the two parquet tables beside it; (html path, tests). With
    ``require_test``, a review that can test nothing raises ``NothingToCompare`` and writes nothing (a page
    of untested rows would read like a clean review)."""
    import json

    from jinja2 import Environment, PackageLoader, select_autoescape

    run_dir = Path(run_dir)
    if orders is None:
        orders = run_orders(run_dir)
    tests, evidence = review(orders, alpha, min_orders)
    if require_test and (why := nothing_to_compare(orders, tests, min_orders)):
        raise NothingToCompare(why)
    summary_path = run_dir / "summary.json"
    try:
        run = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    except ValueError as exc:
        raise tca_report.TcaInputError(f"{summary_path}: not readable JSON ({exc})") from None
    out = Path(out) if out else run_dir / REVIEW_FILE
    if out.is_dir():  # checked before the tables are written beside it
        raise ValueError(f"{out}: a folder, not the HTML file to write")
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"alpha": str(alpha), "min_orders": str(min_orders), "test": "Welch t-test, Holm-adjusted",
            "run_dir": str(run_dir), "units": "each row's unit column: bps, fraction or ms"}
    _write(tests, out.parent / TESTS_FILE, meta)
    _write(evidence, out.parent / ORDERS_FILE, meta)
    env = Environment(loader=PackageLoader("reports", "templates"), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    records = tests.to_dict("records")
    html = env.get_template("best_ex_review.html.j2").render(
        run=run, run_dir=str(run_dir), alpha=alpha, min_orders=min_orders, metrics=METRICS, tests=records,
        flagged=[r for r in records if r.get("flagged")],
        evidence={k: g.head(EVIDENCE_ROWS).to_dict("records") for k, g in evidence.groupby("test_id", sort=False)},
        evidence_rows=EVIDENCE_ROWS, orders=len(orders), tests_file=TESTS_FILE, orders_file=ORDERS_FILE,
        summary=summarize(tests), dimensions=DIMENSIONS, fmt=_fmt,
    )
    out.write_text(html, encoding="utf-8")
    return out, tests


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)

"""Rule 605 files (CSV, parquet, HTML) and the market inputs a run folder gives the 605 and 606 reports.

A run folder written by the current twin holds its NBBO timeline
(``market_nbbo.parquet``, read by ``reports.tca.load_market``); the orders'
TCA inputs come from ``reports.tca.order_inputs``. Older run folders have no
timeline: then 605 is left out of the package and 606 falls back to its
marketability proxy (both said in the package summary).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Iterable

import pandas as pd

from components.regulatory.orders import OrderFacts
from components.regulatory.rule605 import NOTIONAL_BUCKETS, Row605
from components.regulatory.rule606 import OrderClass
from components.tca import NbboTimeline
from reports.tca import NBBO_FILE, TcaInputError, load_market

MONEY_COLUMNS = ("effective_spread", "quoted_spread", "price_improvement")
_TYPE_RANK = {c.value: n for n, c in enumerate(OrderClass)}
_BUCKET_RANK = {label: n for n, (_lo, _hi, label) in enumerate(NOTIONAL_BUCKETS)}


def row_order(row: Row605) -> tuple[str, int, int]:
    """Sort key: symbol, then order type as the rule lists them, then size bucket smallest first
    (the labels sorted as text would put "$1k-<$5k" before "$250-<$1k")."""
    return row.symbol, _TYPE_RANK.get(row.order_type, len(_TYPE_RANK)), \
        _BUCKET_RANK.get(row.size_bucket, len(_BUCKET_RANK))


def market_timelines(run_dir: Path) -> dict[str, NbboTimeline] | None:
    """The run's NBBO timelines per symbol, or None when the run has no market timeline."""
    if not (Path(run_dir) / NBBO_FILE).is_file():
        return None
    try:
        timelines, _prints, _sources = load_market(Path(run_dir))
    except TcaInputError as exc:
        raise ValueError(str(exc)) from None
    return timelines


def set_nbbo_at_receipt(orders: Iterable[OrderFacts], timelines: dict[str, NbboTimeline]) -> int:
    """Give each order the (bid, ask) in force when it was received; returns how many had one."""
    known = 0
    for o in orders:
        timeline = timelines.get(o.symbol)
        quote = None if timeline is None else timeline.at(o.received_ns)
        if quote is not None:
            o.nbbo_at_receipt = (quote.bid, quote.ask)
            known += 1
    return known


def rows_frame(rows: list[Row605]) -> pd.DataFrame:
    """One row per 605 line in ``row_order``; money columns in dollars per share (exact Decimal / 10,000,
    as text-safe floats only at this edge), realized spreads one column per horizon."""
    records = []
    for r in sorted(rows, key=row_order):
        rec = {"symbol": r.symbol, "order_type": r.order_type, "size_bucket": r.size_bucket, "orders": r.orders,
               "shares": r.shares, "executed_shares": r.executed_shares}
        for name in MONEY_COLUMNS:
            value = getattr(r, name)
            rec[f"{name}_usd"] = None if value is None else float(value / 10_000)
        rec["eq_ratio"] = r.eq_ratio
        for label, value in r.realized_spreads:
            rec[f"realized_spread_{label}_usd"] = None if value is None else float(value / 10_000)
        rec["avg_time_to_execution_ms"] = r.avg_time_to_execution_ms
        records.append(rec)
    return pd.DataFrame(records)


def write_605(rows: list[Row605], out: Path, excluded: int) -> list[str]:
    """Write rule605.csv, rule605.parquet and rule605.html into ``out``; the file names."""
    frame = rows_frame(rows)
    frame.to_csv(out / "rule605.csv", index=False)
    frame.to_parquet(out / "rule605.parquet", index=False)
    table = frame.to_html(index=False, na_rep="", float_format=lambda x: f"{x:.6g}")
    (out / "rule605.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Rule 605</title></head><body>"
        "<h1>Rule 605 execution quality (amended-rule shape, simplified)</h1>"
        f"<p>{html.escape(f'{excluded} orders had no good NBBO at or before receipt and are not counted.')}</p>"
        f"{table}</body></html>", encoding="utf-8")
    return ["rule605.csv", "rule605.parquet", "rule605.html"]

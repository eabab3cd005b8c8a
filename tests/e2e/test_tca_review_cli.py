"""TCA, the best-execution review and the order timeline on a real smoke run, as a user runs them."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.conftest import SCENARIOS
from twin.cli import main


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tca") / "run"
    assert main(["run", str(SCENARIOS / "smoke.yaml"), "--out", str(out), "--quiet"]) == 0
    return out


def test_a_run_writes_its_market_timeline_and_tca(smoke_run):
    for name in ("market_nbbo.parquet", "market_prints.parquet", "tca_orders.parquet", "tca_summary.parquet"):
        assert (smoke_run / name).stat().st_size > 0, name
    nbbo = pd.read_parquet(smoke_run / "market_nbbo.parquet")
    assert len(nbbo) > 100 and set(nbbo.symbol) == {"AAPL", "SPY"}
    assert (nbbo.groupby("symbol").t_ns.diff().dropna() >= 0).all()
    orders = pd.read_parquet(smoke_run / "tca_orders.parquet")
    routed = pd.read_parquet(smoke_run / "events.parquet").query("event_type == 'OrderRouted'").order_id.nunique()
    assert len(orders) == routed
    filled = orders[orders.filled_qty > 0]
    # every filled order has an arrival (last good) quote, so its spread and shortfall are defined
    assert filled.effective_spread_bps.notna().all() and filled.is_total.notna().all()
    parts = filled[["is_delay", "is_execution", "is_opportunity", "is_fees"]].sum(axis=1)
    assert (parts == filled.is_total).all()  # exact decimals: the parts add up to the total
    summary = json.loads((smoke_run / "summary.json").read_text())
    assert summary["tca"]["orders"] == len(orders) and {r["group"] for r in summary["tca"]["by_venue"]} == {"XNAS", "BATS"}
    report = (smoke_run / "report.html").read_text()
    assert "Execution quality (TCA)" in report and "<th>order class</th>" in report
    assert {r["group"] for r in summary["tca"]["by_order_class"]} <= {"MARKET", "MARKETABLE_LIMIT", "NON_MARKETABLE_LIMIT"}
    assert pq.read_schema(smoke_run / "tca_orders.parquet").metadata[b"twin.price_scale"] == b"10000"


def test_review_writes_the_page_and_prints_the_flags(smoke_run, tmp_path, capsys):
    out = tmp_path / "review" / "r.html"
    assert main(["review", str(smoke_run), "--out", str(out), "--min-orders", "10"]) == 0
    printed = capsys.readouterr().out
    assert "comparisons" in printed and f"written: {out}" in printed
    tests = pd.read_parquet(out.parent / "best_ex_review_tests.parquet")
    assert (tests.status == "tested").any()
    assert printed.count("FLAG") == int(tests.flagged.sum())
    assert "Rule 5310" in out.read_text()


def test_review_of_a_missing_folder_is_one_line(tmp_path, capsys):
    assert main(["review", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "not a run folder" in err and err.count("\n") == 1


def test_order_timeline_prints_and_writes_html(smoke_run, tmp_path, capsys):
    orders = pd.read_parquet(smoke_run / "tca_orders.parquet")
    order_id = orders[orders.filled_qty > 0].order_id.iloc[0]
    page = tmp_path / "timeline.html"
    assert main(["order-timeline", str(smoke_run), order_id, "--html", str(page)]) == 0
    printed = capsys.readouterr().out
    assert f"order {order_id}:" in printed and "OrderReceived" in printed and "OrderRouted" in printed
    assert "child orders:" in printed and "decisions:" in printed
    assert order_id in page.read_text()
    assert main(["order-timeline", str(smoke_run), "ORD-X"]) == 2
    assert "not in this run's event log" in capsys.readouterr().err


def test_a_replayed_day_gets_a_recorded_nbbo_and_recorded_prints(tmp_path):
    from venues_sim.replay_format import write_csv
    from venues_sim.synthetic_day import synthetic_day

    write_csv(synthetic_day(5, prices={"AAPL": 190 * 10_000}, ticks=300), tmp_path / "quotes.csv",
              tmp_path / "trades.csv")
    (tmp_path / "day.yaml").write_text("""
name: replay_day
seed: 5
session: {date: "2026-11-24", open: "09:30", close: "09:35"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues: [{name: XNAS}, {name: ARCX}]
population: {advisors: 2, clients_per_advisor: 3, sanctioned_clients: 0}
order_flow: {orders: 60}
replay: {quotes: quotes.csv, trades: trades.csv}
""")
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "day.yaml"), "--out", str(out), "--quiet"]) == 0
    nbbo = pq.read_table(out / "market_nbbo.parquet")
    prints = pq.read_table(out / "market_prints.parquet")
    assert nbbo.schema.metadata[b"twin.nbbo_source"] == b"recorded" and nbbo.num_rows > 10
    assert prints.schema.metadata[b"twin.prints_source"].startswith(b"recorded") and prints.num_rows > 0
    orders = pd.read_parquet(out / "tca_orders.parquet")
    filled = orders[orders.filled_qty > 0]
    assert len(filled) and filled.arrival_mid.notna().all()

"""A halt reopened by the primary listing market on a whole run: the reopening auction's print reaches
the run's market prints once, flagged with its sale condition, and TCA's VWAP counts it once (our own
auction executions are not added again from the events)."""

from __future__ import annotations

from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from scenarios.config import builtin_scenario_path, parse_scenario
from twin.market_rules import installed_rules
from twin.runner import run_scenario
from venues_sim.auction import Reopening
from venues_sim.reopening import Resumption
from venues_sim.rules import TradingHalt

HALT = '{halts: [{symbol: AAPL, at: "09:40", duration_s: 300}], halt_auction: true, reopening: primary}'


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reopening")
    text = builtin_scenario_path("smoke").read_text() + f"market_rules: {HALT}\n"
    result = run_scenario(parse_scenario(text, "smoke+primary"), seed=7, out_dir=out)
    (halt,) = [r for r in installed_rules(result.world) if isinstance(r, TradingHalt)]
    return result, halt, out


def test_only_the_primary_crosses_and_its_print_is_flagged_reopening(run):
    result, halt, out = run
    (venue, at, auction), (other, at2, resumption) = halt.reopenings
    assert (venue, other) == ("XNAS", "BATS") and at == at2
    assert isinstance(auction, Reopening) and isinstance(resumption, Resumption)
    assert auction.cross.volume > 0
    prints = pq.read_table(out / "market_prints.parquet").to_pydict()
    rows = list(zip(prints["symbol"], prints["t_ns"], prints["price"], prints["qty"], prints["sale_condition"]))
    assert [r for r in rows if r[4] == "5"] == [("AAPL", at, auction.cross.price, auction.cross.volume, "5")]
    assert {r[4] for r in rows} == {"@", "5"}
    meta = pq.read_table(out / "market_prints.parquet").schema.metadata
    assert b"reopening auctions' prints" in meta[b"twin.prints_source"] and b"'5'" in meta[b"twin.sale_conditions"]
    # Participants' trades when BATS resumed are regular prints at the same instant; none during the halt.
    assert not [r for r in rows if r[0] == "AAPL" and at - 300 * 10**9 < r[1] < at]


def test_tca_counts_the_reopening_print_once(run):
    """An order working across the reopening: TCA's market VWAP is the prints file's VWAP over its window
    plus our taker fills (TCA adds those: the prints do not hold them), with our auction executions
    (maker fills, inside the reopening print) not added a second time."""
    result, halt, out = run
    at = halt.reopenings[0][1]
    tca = pq.read_table(out / "tca_orders.parquet").to_pandas()
    events = list(result.world.log.read())
    taker = [(e.timestamp_utc, e.details["last_px"], e.details["last_qty"]) for e in events
             if e.symbol == "AAPL" and e.details and e.details.get("liquidity") == "TAKER"
             and e.event_type.name in ("ORDER_FILLED", "ORDER_PARTIALLY_FILLED")]
    prints = pq.read_table(out / "market_prints.parquet").to_pandas()
    prints = prints[prints["symbol"] == "AAPL"]
    auction_ids = {f.buy_id for f in halt.reopenings[0][2].fills} | {f.sell_id for f in halt.reopenings[0][2].fills}
    crossing = [e.order_id for e in events if e.event_type.name in ("ORDER_FILLED", "ORDER_PARTIALLY_FILLED")
                and e.timestamp_utc == at and e.details["child_id"] in auction_ids]
    assert crossing, "some order of ours should have executed in the reopening auction"
    for order_id in sorted(set(crossing)):
        row = tca[tca["order_id"] == order_id].iloc[0]
        start, end = int(row["arrival_ns"]), int(row["done_ns"])
        window = prints[(prints["t_ns"] >= start) & (prints["t_ns"] <= end)]
        assert (window["sale_condition"] == "5").sum() == 1  # the reopening print is in its window
        qty = int(window["qty"].sum()) + sum(q for t, _, q in taker if start <= t <= end)
        notional = int((window["qty"] * window["price"]).sum()) + sum(p * q for t, p, q in taker if start <= t <= end)
        assert abs(Decimal(str(row["market_vwap"])) - Decimal(notional) / qty) < Decimal("0.000001")


def test_the_run_writes_every_venues_samples(run):
    _, _, out = run
    samples = pq.read_table(out / "market_samples.parquet").to_pandas()
    assert set(samples["venue"]) == {"XNAS", "BATS", "NBBO"} and set(samples["symbol"]) == {"AAPL", "SPY"}
    per_view = samples.groupby("venue").size()
    assert per_view["XNAS"] == per_view["BATS"] == per_view["NBBO"] > 0  # one row per sample each
    two_sided = samples[(samples["bid"] > 0) & (samples["ask"] > 0)]
    national = two_sided[two_sided["venue"] == "NBBO"]
    assert len(national) and (national["bid"] < national["ask"]).mean() > 0.5

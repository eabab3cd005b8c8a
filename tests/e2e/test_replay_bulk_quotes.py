"""`twin replay` on a one-venue day with the replay venue taking quotes in bulk (the market timeline's and
``EveryNthQuote``'s bulk form, ``venues_sim.replay_columns.BulkQuoteListener``) is the same run as with one
``Quote`` per recorded quote: same fingerprint, orders, fills, NBBO timeline and TCA, on a day with prints,
resting limit orders and cancels at the close."""

from __future__ import annotations

import pytest

import twin.cli_replay as cli_replay
from tests.e2e.replay_days import assert_same_replay, replay_with_strategy
from twin.market_recorder import MarketTimeline
from venues_sim.replay import ReplayVenue
from venues_sim.replay_format import write_parquet
from venues_sim.synthetic_day import DEFAULT_START_NS, synthetic_day

NS = 1_000_000_000
SCENARIO = """
name: replay_bulk
seed: 3
session: {date: "2026-11-24", open: "09:30", close: "09:35"}
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues: [{name: XNAS, maker_rebate: "0.0020", taker_fee: "0.0030"}]
population: {advisors: 1, clients_per_advisor: 2, sanctioned_clients: 0}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bulk")
    (folder / "day").mkdir()
    write_parquet(synthetic_day(11, venues=("XNAS",), ticks=1500), folder / "day" / "quotes.parquet",
                  folder / "day" / "trades.parquet")
    (folder / "scenario.yaml").write_text(SCENARIO)
    rows = ["timestamp,account,symbol,side,quantity,type,limit,tif"]
    for i in range(20):  # resting limits (the per-quote path while they rest) and marketable orders
        side, limit = ("BUY", "189.97") if i % 2 == 0 else ("SELL", "190.03")
        kind = "MARKET" if i % 4 == 0 else "LIMIT"
        rows.append(f"{DEFAULT_START_NS + (i + 1) * 6 * NS + 7},AC-00001,AAPL,{side},200,{kind},"
                    f"{'' if kind == 'MARKET' else limit},DAY")
    (folder / "orders.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_quotes_in_bulk_change_nothing_a_replay_records(folder, capsys, monkeypatch):
    runs = []
    in_bulk = ReplayVenue._in_bulk

    def counted(self, *args):
        end = in_bulk(self, *args)
        runs.append(end)
        return end

    with monkeypatch.context() as m:
        m.setattr(ReplayVenue, "_in_bulk", counted)
        bulk = replay_with_strategy(folder, "bulk", capsys)
    assert sum(1 for end in runs if end) > 50  # the bulk path ran
    with monkeypatch.context() as m:  # every listener without the bulk form: one Quote per recorded quote
        m.setattr(cli_replay, "quote_listener", lambda per_quote, strategy: per_quote)
        one_venue = MarketTimeline.quote_listener
        m.setattr(MarketTimeline, "quote_listener", lambda self: (lambda q, f=one_venue(self): f(q)))
        plain = replay_with_strategy(folder, "plain", capsys)
    assert_same_replay(folder, ("bulk", bulk), ("plain", plain))

"""Where the reference price comes from (issue 10): venue quotes, the last good mid, or the configured
fallback; the fallback used too long is a warning (and a log line, once); risk records the source of each
approval's price on live market data only (the twin's records are unchanged)."""

from __future__ import annotations

import logging

from components.reference_price import CONFIGURED, LAST_GOOD_MID, VENUE_QUOTES, LastGoodMid
from live.adapters.fix.market_data import BookTop, QuoteCache
from live.venue_health import SourcedMarketData, reference_health

S = 1_000_000_000


def test_last_good_mid_names_its_source():
    mids = LastGoodMid({"AAPL": 1_900_000})
    assert mids.source("AAPL") == CONFIGURED and mids.update("AAPL", 0) == 1_900_000
    assert mids.source("AAPL") == CONFIGURED
    assert mids.from_tops("AAPL", [(1_899_900, 1_900_100)]) == 1_900_000 and mids.source("AAPL") == VENUE_QUOTES
    assert mids.from_tops("AAPL", [(1_900_100, 1_899_900)]) == 1_900_000  # crossed: the last good mid
    assert mids.source("AAPL") == LAST_GOOD_MID


class Clock:
    def __init__(self) -> None:
        self.ns = 1_700_000_000 * S

    def __call__(self) -> int:
        return self.ns


def market(clock: Clock, cache: QuoteCache) -> SourcedMarketData:
    return SourcedMarketData(clock, {}, {"AAPL": 1_900_000, "MSFT": 4_000_000}, names=["XA"],
                             connected=lambda v: True, feed=cache, fallback_warn_s=30.0)


def test_health_names_sources_and_warns_once_about_a_long_fallback(caplog):
    clock, cache = Clock(), QuoteCache()
    md = market(clock, cache)
    cache.put("XA", "MSFT", BookTop(3_999_900, 100, 4_000_100, 100))
    health = md.reference_health()
    assert health == {"reference_sources": {"AAPL": CONFIGURED, "MSFT": VENUE_QUOTES}, "reference_warnings": []}
    clock.ns += 31 * S
    with caplog.at_level(logging.WARNING, logger="live.fix"):
        warned = md.reference_health()["reference_warnings"]
        again = md.reference_health()["reference_warnings"]
    assert len(warned) == 1 and warned[0].startswith("AAPL: reference price from the configured fallback for 31 s")
    assert again == warned  # still a warning in /healthz ...
    assert sum("AAPL" in r.message for r in caplog.records) == 1  # ... but logged once
    cache.put("XA", "AAPL", BookTop(1_899_900, 100, 1_900_300, 100))
    assert md.reference_health() == {"reference_sources": {"AAPL": VENUE_QUOTES, "MSFT": VENUE_QUOTES},
                                     "reference_warnings": []}


def test_market_data_that_cannot_say_has_no_sources():
    class Plain:
        def reference_price(self, symbol: str) -> int:
            return 1

    assert reference_health(Plain()) == {"reference_sources": {}, "reference_warnings": []}


def test_risk_records_the_source_only_where_the_market_data_names_it():
    from components.risk.engine import RESERVATION, RiskEngine
    from components.risk.policies import RiskLimits
    from components.reference.sanctions import default_sanctions_list
    from tests.unit.components.risk.test_risk_engine import Prices, accounts, order

    class Sourced(Prices):  # live market data: also names where each price came from
        def reference_source(self, symbol: str) -> str:
            return CONFIGURED

    def reservation(md) -> dict:
        engine = RiskEngine(RiskLimits(), accounts(), md, default_sanctions_list())
        decision = engine.check("O-1", order(), 0)
        assert decision.approved and decision.decisions[-1].policy == RESERVATION, decision
        return dict(decision.decisions[-1].params)

    assert "reference_source" not in reservation(Prices(AAPL=1_000_000))  # the twin's: records unchanged
    assert reservation(Sourced(AAPL=1_000_000))["reference_source"] == CONFIGURED

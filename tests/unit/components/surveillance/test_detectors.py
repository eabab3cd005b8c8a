"""Each detector fires on its pattern, stays quiet on the near miss, and records its evidence."""

from __future__ import annotations

import pytest

from components.surveillance import (AccountRef, FrontRunningParams, Linkage, MarkingCloseParams, Pattern, SpoofingParams,
                                     SurveillanceConfig, SurveillanceEngine, WashParams, threshold_of, with_threshold)

from .streams import MS, S, T0, Stream

LINKS = Linkage([AccountRef("A1", "C1", "ADV-001"), AccountRef("A2", "C1", "ADV-001"),
                 AccountRef("B1", "C2", "ADV-002"), AccountRef("X1", "C3", "ADV-003")],
                shared_identifiers=[("B1", "X1")], advisor_links=[("ADV-002", "A1")])
CLOSE = T0 + 3600 * S
ONE_TRIP = SurveillanceConfig(wash_trade=WashParams(min_round_trips=1))


def run(stream: Stream, config: SurveillanceConfig = SurveillanceConfig()):
    return SurveillanceEngine(LINKS, CLOSE, config).run(stream.sorted())


def spoof(s: Stream, layers: int, lifetime_ms: int = 1500, offset: int = 500, acct: str = "A1") -> None:
    ids = [s.order(T0 + i * 100 * MS, acct, "AAPL", "BUY", 100 + i, limit=1_900_000 - offset) for i in range(layers)]
    sell = s.order(T0 + 600 * MS, acct, "AAPL", "SELL", 100)
    s.fill(T0 + 601 * MS, sell)
    for oid in ids:
        s.cancel(T0 + lifetime_ms * MS, oid)


def test_spoofing_fires_with_evidence_and_parameters():
    s = Stream()
    spoof(s, 4)
    alerts = run(s)
    assert [a.pattern for a in alerts] == [Pattern.SPOOFING]
    a = alerts[0]
    assert a.score == 4.0 and a.party == LINKS.owner_of("A1") and len(a.order_ids) == 5
    assert dict(a.params)["min_orders"] == 3 and a.detector == "spoofing_layering" and a.version == "1.0"
    assert a.event_ids  # the received, approved... events of every order involved


@pytest.mark.parametrize("case", ["too_few", "slow_cancel", "far_from_touch", "no_execution"])
def test_spoofing_near_misses_are_quiet(case):
    s = Stream()
    if case == "too_few":
        spoof(s, 2)
    elif case == "slow_cancel":
        spoof(s, 4, lifetime_ms=9000)
    elif case == "far_from_touch":
        spoof(s, 4, offset=5000)  # 26 bps below the reference mid
    else:
        for i in range(4):
            oid = s.order(T0 + i * MS, "A1", "AAPL", "BUY", 100 + i, limit=1_899_500)
            s.cancel(T0 + S, oid)
    assert run(s) == []


def test_wash_trade_linked_by_household_and_by_shared_identifier():
    s = Stream()
    a = s.order(T0, "A1", "AAPL", "SELL", 200)
    s.fill(T0 + MS, a)
    b = s.order(T0 + 5 * S, "A2", "AAPL", "BUY", 200)  # same client, other account
    s.fill(T0 + 5 * S + MS, b)
    c = s.order(T0 + 100 * S, "B1", "AAPL", "BUY", 100)
    s.fill(T0 + 100 * S + MS, c)
    d = s.order(T0 + 110 * S, "X1", "AAPL", "SELL", 100)  # another client sharing an identifier with B1
    s.fill(T0 + 110 * S + MS, d)
    alerts = run(s, ONE_TRIP)
    assert [(x.pattern, x.accounts) for x in alerts] == [(Pattern.WASH_TRADE, ("A1", "A2")),
                                                        (Pattern.WASH_TRADE, ("B1", "X1"))]
    assert run(s) == []  # by default one round trip per owner is held, not raised


def test_a_second_round_trip_raises_both():
    s = Stream()
    for k, (sell, buy) in enumerate((("A1", "A2"), ("A2", "A1"))):
        base = T0 + k * 300 * S
        a = s.order(base, sell, "AAPL", "SELL", 200)
        s.fill(base + MS, a)
        b = s.order(base + 5 * S, buy, "AAPL", "BUY", 200)
        s.fill(base + 5 * S + MS, b)
    alerts = run(s)
    assert [a.at_ns for a in alerts] == [T0 + 5 * S + MS, T0 + 305 * S + MS]  # the first raised late, at its time


def test_wash_trade_leg_cancelled_by_the_client_is_dropped():
    s = Stream()
    a = s.order(T0, "A1", "AAPL", "BUY", 200, limit=1_899_800)  # a partly hit spoof layer
    s.fill(T0 + MS, a, qty=100)
    b = s.order(T0 + 2 * S, "A2", "AAPL", "SELL", 200)
    s.fill(T0 + 2 * S + MS, b)
    s.cancel(T0 + 3 * S, a)
    assert run(s, ONE_TRIP) == []


def test_wash_trade_unlinked_or_too_far_apart_is_quiet():
    s = Stream()
    a = s.order(T0, "A1", "AAPL", "SELL", 200)
    s.fill(T0 + MS, a)
    b = s.order(T0 + 5 * S, "B1", "AAPL", "BUY", 200)  # different owner
    s.fill(T0 + 5 * S + MS, b)
    c = s.order(T0 + 200 * S, "A2", "AAPL", "BUY", 200)  # same owner, outside the window
    s.fill(T0 + 200 * S + MS, c)
    assert run(s, ONE_TRIP) == []


def _closing(s: Stream, qty: int, limit_bps: int) -> None:
    start = CLOSE - 4 * 60 * S
    for i in range(3):
        oid = s.order(start + i * 30 * S, "A1", "AAPL", "BUY", qty, limit=1_900_000 + 190 * limit_bps)
        s.fill(start + i * 30 * S + MS, oid)
    other = s.order(start, "B1", "AAPL", "BUY", 1000)
    s.fill(start + MS, other)


def test_marking_the_close_after_the_close():
    s = Stream()
    _closing(s, 500, 50)
    alerts = run(s)
    assert [a.pattern for a in alerts] == [Pattern.MARKING_THE_CLOSE]
    assert alerts[0].score == pytest.approx(1500 / 2500)


@pytest.mark.parametrize("qty,bps", [(100, 50), (500, 10)])
def test_marking_the_close_needs_share_and_prices_away(qty, bps):
    s = Stream()
    _closing(s, qty, bps)  # 300 of 1300 shares is 23%: under the share only when too small
    config = SurveillanceConfig(marking_the_close=MarkingCloseParams(min_share=0.3))
    assert run(s, config) == []


def _front(s: Stream, exit_after_s: int | None) -> None:
    s.order(T0, "A1", "MSFT", "BUY", 50)  # A1 is tied to ADV-002
    s.order(T0 + 30 * S, "B1", "MSFT", "BUY", 100, advisor="ADV-002", block_ref="BLK-1")
    s.order(T0 + 30 * S, "X1", "MSFT", "BUY", 100, advisor="ADV-002", block_ref="BLK-1")
    if exit_after_s is not None:
        s.order(T0 + (30 + exit_after_s) * S, "A1", "MSFT", "SELL", 50)


def test_front_running_by_an_advisor_tied_account_with_its_round_trip():
    s = Stream()
    _front(s, 120)
    alerts = run(s)
    assert [(a.pattern, a.accounts, a.score, len(a.order_ids)) for a in alerts] == [
        (Pattern.FRONT_RUNNING, ("A1",), 0.5, 3)]


@pytest.mark.parametrize("exit_after_s", [None, 900])
def test_front_running_without_a_timely_exit_needs_require_exit_off(exit_after_s):
    s = Stream()
    _front(s, exit_after_s)
    assert run(s) == []
    loose = SurveillanceConfig(front_running=FrontRunningParams(require_exit=False))
    assert [a.accounts for a in run(s, loose)] == [("A1",)]


def test_front_running_other_side_or_untied_or_too_early_is_quiet():
    s = Stream()
    s.order(T0, "A1", "MSFT", "SELL", 50)
    s.order(T0, "A2", "MSFT", "BUY", 50)  # not tied to ADV-002
    s.order(T0 - 600 * S, "A1", "MSFT", "BUY", 50)
    s.order(T0 + 30 * S, "B1", "MSFT", "BUY", 100, advisor="ADV-002", block_ref="BLK-1")
    assert run(s) == []


def test_thresholds_are_named_per_pattern_and_replaceable():
    config = with_threshold(SurveillanceConfig(), Pattern.SPOOFING, 5)
    assert threshold_of(config, Pattern.SPOOFING) == 5 and isinstance(config.spoofing.min_orders, int)
    s = Stream()
    spoof(s, 4)
    assert run(s, config) == []
    assert SpoofingParams().min_orders == 3  # defaults are frozen, the original untouched


def test_linkage_owner_groups():
    assert LINKS.linked("A1", "A2") and LINKS.linked("B1", "X1") and not LINKS.linked("A1", "B1")
    assert LINKS.owner_of("ZZ") == "account:ZZ" and LINKS.advisor_linked("ADV-002") == {"A1"}

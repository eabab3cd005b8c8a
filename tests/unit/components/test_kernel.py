"""``components.kernel.build_platform``: one wiring, one settlement rule, one routing fee rule.

Both runtimes call ``build_platform``; these tests show that what used to drift
between the twin and live copies is now settled once: a trade settles at 09:00
New York T+N business days after its New York date (for a trade on a session's
date, exactly the twin's ``Session.settlement_ns``), and a venue is routed by
its configured fees, ``fee_model: fixed`` included, whichever runtime builds it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components import kernel
from components.config.live import EventLogConfig, LiveConfig, VenueLinkConfig
from components.config.market import DEFAULT_VENUES, Routing, Venue
from components.config.risk import Risk
from components.config.session import NEW_YORK, Session, to_ns
from components.domain.commands import SubmitOrder
from components.domain.events import EventType
from components.domain.money import PRICE_SCALE, to_units
from components.domain.orders import OrderStatus
from components.domain.outcomes import Accepted
from components.domain.venues import ExecKind, ExecutionReport, FeeSchedule, Liquidity, Quote, VenueStatus
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import SanctionsList
from components.settlement_time import settlement_calendar

D = PRICE_SCALE
SESSION = Session()  # Tuesday 2026-11-24, T+1
WHSL = Venue("WHSL", fee_model="fixed", fixed_fee=to_units("0.0010"))
"""A wholesaler: the same fee a share to taker and maker (its unused maker-taker fields keep
their defaults, a $0.0030 taker fee, which is what live used to route it by)."""
XNAS = Venue("XNAS", maker_rebate=to_units("0.0020"), taker_fee=to_units("0.0025"))


# -- settlement: one rule ------------------------------------------------------------------

weekdays = st.dates(date(2024, 1, 1), date(2030, 12, 31)).filter(lambda d: d.weekday() < 5)
times_of_day = st.times()  # any moment of the New York day, midnight to 23:59:59.999999


@given(day=weekdays, moment=times_of_day, days=st.integers(1, 10))
def test_a_trade_on_the_session_date_settles_when_the_session_says(day, moment, days):
    """The twin settled every trade at ``Session.settlement_ns()``; the rule gives that instant
    for any trade time on the session's date, DST days and weekends in between included."""
    trade_ns = to_ns(datetime.combine(day, moment, NEW_YORK))
    session = Session(date=day, settlement_days=days)
    assert settlement_calendar(days)(trade_ns) == session.settlement_ns()


def test_the_trade_date_is_the_new_york_date():
    """After 19:00 New York in winter it is already tomorrow in UTC: the New York date counts."""
    late = to_ns(datetime.combine(date(2026, 11, 27), time(23, 30), NEW_YORK))  # Friday night in New York
    monday_nine = to_ns(datetime.combine(date(2026, 11, 30), time(9, 0), NEW_YORK))
    assert settlement_calendar(1)(late) == monday_nine
    assert settlement_calendar(1)(late + 3_600 * 1_000_000_000) == monday_nine  # Saturday 00:30: still Monday


# -- routing fees: one rule ----------------------------------------------------------------


def test_a_fixed_fee_venue_is_routed_by_what_it_charges_taker_and_maker():
    assert WHSL.routing_schedule() == FeeSchedule(maker_rebate=-to_units("0.0010"), taker_fee=to_units("0.0010"))
    assert XNAS.routing_schedule() == FeeSchedule(to_units("0.0020"), to_units("0.0025"))


@pytest.mark.parametrize("venue", [WHSL, XNAS, Venue("INVR", maker_rebate=-10, taker_fee=-5)])
def test_the_routing_schedule_is_what_the_simulated_venue_charges(venue):
    """The twin's venues price fills with ``venues_sim.fees.fee_model_of``; the router's
    schedule of the same config charges the same: a taker pays ``taker_fee``, a maker ``-maker_rebate``."""
    from venues_sim.fees import fee_model_of

    model, schedule = fee_model_of(venue), venue.routing_schedule()
    assert model.fee(Liquidity.TAKER, 100) == 100 * schedule.taker_fee
    assert model.fee(Liquidity.MAKER, 100) == -100 * schedule.maker_rebate


def test_the_twin_and_live_hand_the_kernel_the_same_world(monkeypatch, tmp_path):
    """One world described for both runtimes (``twin.diff_live.worlds``): each bootstrap calls the
    kernel with the same venues and settlement cycle, so a fixed-fee venue gets the same routing
    schedule and a trade the same settlement instant in both."""
    import live.bootstrap
    import twin.bootstrap
    from twin.diff_live.worlds import scenario_for

    calls: dict[str, dict] = {}

    def spy(runtime: str):
        def build_platform(**kw):
            calls[runtime] = kw
            return kernel.build_platform(**kw)
        return build_platform

    monkeypatch.setattr(twin.bootstrap, "build_platform", spy("twin"))
    monkeypatch.setattr(live.bootstrap, "build_platform", spy("live"))
    config = LiveConfig(venues=(*DEFAULT_VENUES, WHSL), settlement_days=2, event_log=EventLogConfig(kind="memory"),
                        venue_link=VenueLinkConfig(mode="direct"), run_dir=str(tmp_path))
    scenario = scenario_for(config)
    twin.bootstrap.build_twin(scenario, scenario.seed)
    live.bootstrap.build_live(config).close()

    schedules = {runtime: {v.name: v.routing_schedule() for v in kw["venues"]} for runtime, kw in calls.items()}
    assert schedules["twin"] == schedules["live"]
    assert schedules["live"]["WHSL"] == FeeSchedule(-WHSL.fixed_fee, WHSL.fixed_fee)
    trade_ns = scenario.session.at_ns(time(15, 59))
    instants = {runtime: settlement_calendar(kw["settlement_days"])(trade_ns) for runtime, kw in calls.items()}
    assert instants["twin"] == instants["live"] == scenario.session.settlement_ns()


# -- the wiring ---------------------------------------------------------------------------------


class RecordingGateway:
    """A venue gateway that keeps what was sent (the platform's only way out to venues)."""

    def __init__(self) -> None:
        self.sent: list = []
        self.on_report = None

    def connect(self, on_report) -> None:
        self.on_report = on_report

    def send(self, child) -> None:
        self.sent.append(child)

    def cancel(self, venue: str, child_id: str) -> None:
        pass


class SameQuoteEverywhere:
    """Every venue up, quoting the same book now."""

    def __init__(self, clock: ManualClock, bid: int, ask: int) -> None:
        self.clock, self.bid, self.ask = clock, bid, ask

    def quote(self, venue: str, symbol: str) -> Quote:
        return Quote(venue, symbol, self.bid, 1_000, self.ask, 1_000, self.clock.now_ns())

    def reference_price(self, symbol: str) -> int:
        return (self.bid + self.ask) // 2

    def venue_status(self, venue: str) -> VenueStatus:
        return VenueStatus.UP


def run(platform, message) -> object:
    """Handle ``message`` and every follow-up in order, in process; return the first outcome."""
    first = platform.handle(message)
    queue = list(first.follow_ups)
    while queue:
        queue.extend(platform.handle(queue.pop(0)).follow_ups)
    return first.outcome


@pytest.fixture
def wired():
    clock = ManualClock(SESSION.at_ns(time(10, 0)))
    log, gateway = InMemoryEventLog(), RecordingGateway()
    accounts = AccountDirectory([Account("A1", "C1", "Jane Client", "ADV1", cash=1_000_000 * D)])
    platform = kernel.build_platform(
        clock=clock, ids=SequentialIds(), log=log, gateway=gateway,
        market_data=SameQuoteEverywhere(clock, 190 * D, 190 * D + D // 10), accounts=accounts,
        sanctions=SanctionsList(), symbols=["AAPL"], venues=(XNAS, WHSL), risk=Risk(), routing=Routing(),
        settlement_days=SESSION.settlement_days,
    )
    return platform, clock, log, gateway


def test_an_order_goes_through_the_wired_platform_to_the_cheapest_venue(wired, body):
    platform, clock, log, gateway = wired
    outcome = run(platform, SubmitOrder(body(), clock.now_ns()))
    assert type(outcome) is Accepted
    order_id = outcome.order_id
    kinds = [e.event_type for e in log.read() if e.order_id == order_id]
    assert EventType.ORDER_VALIDATED in kinds and EventType.ORDER_RISK_APPROVED in kinds
    assert platform.oms.get(order_id).status is OrderStatus.ROUTED
    # $0.0010 a share beats XNAS's $0.0025 (by its maker-taker defaults, WHSL would have cost $0.0030)
    assert [(c.venue, c.quantity) for c in gateway.sent] == [("WHSL", 100)]


def test_a_fill_is_confirmed_and_settles_on_the_session_s_settlement_date(wired, body):
    platform, clock, log, gateway = wired
    order_id = run(platform, SubmitOrder(body(), clock.now_ns())).order_id
    child = gateway.sent[0]
    clock.advance_to(clock.now_ns() + 1_000_000)
    fill = ExecutionReport(ExecKind.FILL, child.venue, child.child_id, order_id, clock.now_ns(), last_qty=100,
                           last_px=190 * D + D // 10, leaves_qty=0, liquidity=Liquidity.TAKER,
                           fee=100 * WHSL.fixed_fee, exec_id="WHSL-E1")
    run(platform, fill)
    confirmed = next(e for e in log.read() if e.event_type is EventType.ORDER_CONFIRMED)
    assert confirmed.details["settlement_ns"] == SESSION.settlement_ns()
    assert platform.ledger.position("A1", "AAPL") == 100
    clock.advance_to(SESSION.settlement_ns())
    assert platform.oms.get(order_id).status is OrderStatus.SETTLED


def test_the_ledger_opens_with_the_accounts_and_only_they_are_known(wired):
    platform = wired[0]
    assert platform.ledger.cash == {"A1": 1_000_000 * D}
    assert platform.account_known("A1") and not platform.account_known("NOPE")


def test_a_platform_without_refusals_given_keeps_every_refusal():
    clock = ManualClock(SESSION.at_ns(time(10, 0)))
    platform = kernel.build_platform(
        clock=clock, ids=SequentialIds(), log=InMemoryEventLog(), gateway=RecordingGateway(),
        market_data=SameQuoteEverywhere(clock, 190 * D, 190 * D + D // 10), accounts=AccountDirectory(),
        sanctions=SanctionsList(), symbols=["AAPL"], venues=(XNAS,), risk=Risk(), routing=Routing(),
        settlement_days=1,
    )
    for i in range(3):
        run(platform, SubmitOrder({"symbol": "AAPL"}, clock.now_ns() + i))
    assert len(platform.refused) == 3 and len(list(platform.refused)) == 3


def test_the_day_after_is_still_t_plus_one_from_its_own_date():
    """A live process runs for days: each trade settles from its own New York date."""
    settle = settlement_calendar(1)
    wednesday = replace(SESSION, date=SESSION.date + timedelta(days=1))
    assert settle(wednesday.at_ns(time(10, 0))) == wednesday.settlement_ns() != SESSION.settlement_ns()

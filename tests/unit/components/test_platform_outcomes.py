"""Handlers return what they decided: ``Platform.handle`` gives the outcome and the follow-ups.

A platform on in-memory ports (a manual clock, an in-memory log, sequential
ids, a venue gateway that keeps what it is sent, every venue quoting the same
book). Each test reads what became of a command from the returned ``Handled``
alone, never from the platform's counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from components.domain.commands import (
    CancelOrder,
    CheckRisk,
    ProcessPostTrade,
    RouteOrder,
    SetTradingState,
    SubmitBlock,
    SubmitOrder,
    ValidateOrder,
)
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderStatus
from components.domain.outcomes import (
    DONE,
    Accepted,
    BlockAccepted,
    CancelRequested,
    Handled,
    NextStep,
    RefusalReason,
    Refused,
    Replayed,
    TradingStateSet,
)
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, FeeSchedule, Liquidity, Quote, VenueStatus
from components.ledger import Ledger
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.oms import Oms
from components.order_entry import OrderEntry
from components.platform import Platform
from components.post_trade import PostTrade
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import SanctionsList
from components.risk.engine import RiskEngine
from components.risk.policies import RiskLimits
from components.routing import SmartOrderRouter

D = PRICE_SCALE
SEC = 1_000_000_000
DAY = 86_400 * SEC
T0 = 20_000 * DAY + 14 * 3_600 * SEC


class SameQuoteEverywhere:
    """Every venue up, quoting 190.00 / 190.10, deep enough for any order here."""

    def __init__(self, clock: ManualClock) -> None:
        self._clock = clock

    def quote(self, venue: str, symbol: str) -> Quote:
        return Quote(venue, symbol, 190 * D, 10_000, 190 * D + D // 10, 10_000, self._clock.now_ns())

    def reference_price(self, symbol: str) -> int:
        return 190 * D + D // 20

    def venue_status(self, venue: str) -> VenueStatus:
        return VenueStatus.UP


class KeepingGateway:
    """A venue gateway that keeps the child orders and cancels it is asked for."""

    def __init__(self) -> None:
        self.sent: list[ChildOrder] = []
        self.canceled: list[tuple[str, str]] = []

    def connect(self, on_report) -> None:
        pass

    def send(self, child: ChildOrder) -> None:
        self.sent.append(child)

    def cancel(self, venue: str, child_id: str) -> None:
        self.canceled.append((venue, child_id))


@dataclass
class PlatformWorld:
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    log: InMemoryEventLog = field(default_factory=InMemoryEventLog)
    gateway: KeepingGateway = field(default_factory=KeepingGateway)
    platform: Platform = field(init=False)

    def __post_init__(self) -> None:
        ids = SequentialIds()
        accounts = AccountDirectory([Account("A1", "C1", "Jane Client", "ADV1", cash=1_000_000 * D),
                                     Account("A2", "C2", "John Client", "ADV1", cash=1_000_000 * D)])
        market = SameQuoteEverywhere(self.clock)
        oms = Oms(self.clock, ids, self.log)
        risk = RiskEngine(RiskLimits(), accounts, market, SanctionsList())
        self.platform = Platform(
            clock=self.clock,
            oms=oms,
            entry=OrderEntry({"AAPL"}.__contains__, accounts.entitled, oms.create),
            risk=risk,
            router=SmartOrderRouter({"XNAS": FeeSchedule(20, 30), "BATS": FeeSchedule(10, 20)}, market, ids),
            venues=self.gateway,
            post_trade=PostTrade(oms, self.clock, lambda now_ns: (now_ns // DAY + 1) * DAY),
            ledger=Ledger({"A1": 1_000_000 * D, "A2": 1_000_000 * D}, {}),
            account_known=lambda account_id: account_id in accounts,
        )

    def run(self, message: object) -> Handled:
        """Handle ``message`` and every follow-up in order, in process; return the message's own result."""
        first = self.platform.handle(message)
        queue = list(first.follow_ups)
        while queue:
            queue.extend(self.platform.handle(queue.pop(0)).follow_ups)
        return first

    def report(self, kind: ExecKind, child: ChildOrder, **kw) -> ExecutionReport:
        return ExecutionReport(kind, child.venue, child.child_id, child.order_id, self.clock.now_ns(), **kw)


@pytest.fixture
def pw() -> PlatformWorld:
    return PlatformWorld()


# -- submissions ------------------------------------------------------------------------------


def test_a_new_order_is_accepted_and_followed_by_its_validation(pw, body):
    outcome, follow_ups = pw.platform.handle(SubmitOrder(body(), T0))
    assert type(outcome) is Accepted
    assert follow_ups == [ValidateOrder(outcome.order_id)]
    assert pw.platform.oms.get(outcome.order_id).spec.client_order_id == "C-1"


def test_the_same_request_again_is_a_replay_of_the_same_order_with_nothing_to_follow(pw, body):
    first = pw.run(SubmitOrder(body(), T0)).outcome
    again = pw.platform.handle(SubmitOrder(body(), T0 + SEC))
    assert again == Handled(Replayed(first.order_id))
    assert len(pw.platform.oms.orders) == 1


def test_the_same_client_order_id_for_a_different_order_is_a_conflict(pw, body):
    pw.run(SubmitOrder(body(), T0))
    outcome, follow_ups = pw.platform.handle(SubmitOrder(body(quantity=200), T0 + SEC))
    assert type(outcome) is Refused and not follow_ups
    assert (outcome.reason, outcome.fields) == (RefusalReason.CONFLICT, ("client_order_id",))
    assert outcome.reason.status == 409 and "C-1" in outcome.problem


@pytest.mark.parametrize("overrides, fields", [
    ({"quantity": 0}, ("quantity",)),
    ({"symbol": "ZZZZ"}, ("symbol",)),
    ({"limit_price": "abc", "quantity": -5}, ("quantity", "limit_price")),
])
def test_an_invalid_request_is_refused_naming_its_fields(pw, body, overrides, fields):
    outcome, follow_ups = pw.platform.handle(SubmitOrder(body(**overrides), T0))
    assert type(outcome) is Refused and not follow_ups
    assert outcome.reason is RefusalReason.INVALID and outcome.reason.status == 422
    assert sorted(outcome.fields) == sorted(fields)
    assert all(f in outcome.problem for f in fields)
    assert not pw.platform.oms.orders


def test_an_advisor_without_the_account_is_refused_as_not_entitled(pw, body):
    outcome, _ = pw.platform.handle(SubmitOrder(body(advisor_id="ADV9"), T0))
    assert (outcome.reason, outcome.fields, outcome.reason.status) == (RefusalReason.NOT_ENTITLED, ("account_id",), 403)


def test_the_counters_for_reports_still_count_what_the_outcomes_said(pw, body):
    pw.run(SubmitOrder(body(), T0))
    pw.platform.handle(SubmitOrder(body(), T0))
    pw.platform.handle(SubmitOrder(body(quantity=0, client_order_id="C-2"), T0))
    assert pw.platform.replays == 1
    assert [(r.status, r.fields) for r in pw.platform.refused] == [(422, ("quantity",))]


# -- blocks, cancels, the kill switch ---------------------------------------------------------


def block(ref: str = "B-1", policy: str = "pro_rata") -> SubmitBlock:
    return SubmitBlock("ADV1", "AAPL", "BUY", (("A1", 100), ("A2", 200)), policy, ref, T0)


def test_a_block_is_accepted_with_its_members_and_a_retry_is_a_replay_with_its_first_policy(pw):
    outcome, follow_ups = pw.platform.handle(block())
    assert type(outcome) is BlockAccepted and not outcome.replayed and outcome.policy == "pro_rata"
    assert [type(m) for m in outcome.members] == [Accepted, Accepted]
    assert follow_ups == [ValidateOrder(order_id) for order_id in outcome.order_ids]
    retry, nothing = pw.platform.handle(block(policy="rotational"))  # the gateway compares the policies
    assert retry.replayed and retry.order_ids == outcome.order_ids and retry.policy == "pro_rata"
    assert not nothing


def test_a_block_with_an_unknown_policy_is_refused_naming_it(pw):
    outcome, follow_ups = pw.platform.handle(block(policy="favourites_first"))
    assert (outcome.reason, outcome.fields) == (RefusalReason.INVALID, ("policy",)) and not follow_ups


def test_a_cancel_is_requested_of_the_venue_or_refused_for_an_unknown_order(pw, body):
    order_id = pw.run(SubmitOrder(body(), T0)).outcome.order_id
    (child,) = pw.gateway.sent
    assert pw.platform.handle(CancelOrder("A1", "C-1", T0)) == Handled(CancelRequested(order_id))
    assert pw.gateway.canceled == [(child.venue, child.child_id)]
    missing, _ = pw.platform.handle(CancelOrder("A1", "NOPE", T0))
    assert (missing.reason, missing.reason.status) == (RefusalReason.NOT_FOUND, 404)


def test_the_kill_switch_says_what_it_was_and_is(pw):
    assert pw.platform.handle(SetTradingState("HALTED", "operator:sre", "drill", T0)).outcome == \
        TradingStateSet("HALTED", "ACTIVE")
    again = pw.platform.handle(SetTradingState("HALTED", "operator:sre", "drill", T0)).outcome
    assert again == TradingStateSet("HALTED", "HALTED") and not again.changed
    bad, _ = pw.platform.handle(SetTradingState("PAUSED", "operator:sre", "", T0))
    assert (bad.reason, bad.fields) == (RefusalReason.INVALID, ("state",))


# -- venue reports: what the OMS says follows -------------------------------------------------


def test_a_fill_that_completes_the_order_is_followed_by_post_trade(pw, body):
    order_id = pw.run(SubmitOrder(body(), T0)).outcome.order_id
    (child,) = pw.gateway.sent
    fill = pw.report(ExecKind.FILL, child, last_qty=100, last_px=190 * D, leaves_qty=0,
                     liquidity=Liquidity.TAKER, exec_id="E1")
    assert pw.platform.handle(fill) == Handled(DONE, [ProcessPostTrade(order_id)])
    assert pw.platform.oms.get(order_id).status is OrderStatus.FILLED
    assert pw.platform.handle(fill) == Handled(DONE)  # the same fill again: nothing follows


def test_a_venue_reject_is_followed_by_a_reroute_elsewhere(pw, body):
    order_id = pw.run(SubmitOrder(body(), T0)).outcome.order_id
    (child,) = pw.gateway.sent
    reject = pw.report(ExecKind.REJECTED, child, reason="VENUE_BUSY")
    outcome, (reroute,) = pw.platform.handle(reject)
    assert outcome is DONE and reroute == RouteOrder(order_id, exclude=frozenset({child.venue}))
    pw.run(reroute)
    assert [c.venue for c in pw.gateway.sent] == [child.venue, ({"XNAS", "BATS"} - {child.venue}).pop()]


def test_the_oms_names_the_next_step(world):
    """``Oms.on_execution`` on its own: post-trade when a fill completes, reroute on a refusal."""
    order, (child,) = world.routed()
    assert world.deliver(world.report(ExecKind.ACK, child, leaves_qty=100)) is NextStep.NOTHING
    assert world.deliver(world.fill(child, 100, 190 * D, leaves=0)) is NextStep.POST_TRADE
    other, (refused,) = world.routed(client_order_id="C-2")
    assert world.deliver(world.report(ExecKind.REJECTED, refused, reason="NO")) is NextStep.REROUTE


def test_internal_messages_answer_done(pw, body):
    validate = pw.platform.handle(SubmitOrder(body(), T0)).follow_ups[0]
    outcome, (check,) = pw.platform.handle(validate)
    assert outcome is DONE and type(check) is CheckRisk

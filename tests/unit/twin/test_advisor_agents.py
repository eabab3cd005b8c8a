"""The twin's agent invariants (``twin.advisor_agents.check_agent_orders``) on hand-made logs:
they pass for orders submitted after their plan's approval and before the kill switch, and fail,
naming the event, for an order with no approval, an approval of another version of the plan, an
order submitted before its approval, and an order after the kill switch."""

from __future__ import annotations

from components.agents import AgentConfig, ApprovalEvent, TradeExecutionAgent, Verdict
from components.domain.events import EventType, OrderEvent
from components.memory import SequentialIds
from tests.unit.components.agents.agent_kit import PRICES, RecordingPort, limits, proposal, trade
from twin.advisor_agents import PLAN_PREFIX, check_agent_orders


def received(n: int, block_ref: str, submitted_ns: int) -> OrderEvent:
    return OrderEvent(EventType.ORDER_RECEIVED, f"EVT-{n}", f"TRC-{n}", submitted_ns, submitted_ns, f"ORD-{n}", 1,
                      "A1", "AAPL", "BUY", 100, "MARKET", None, "DAY", "advisor:ADV-1",
                      details={"client_order_id": f"{block_ref}-1", "submitted_ns": submitted_ns, "block_ref": block_ref})


def approved_agent():
    port = RecordingPort()
    agent = TradeExecutionAgent(AgentConfig(limits(), 10**6), port, SequentialIds(), PRICES.__getitem__,
                                id_prefix=PLAN_PREFIX)
    pid = agent.detect(proposal(trade("A1")), 10).plan_id
    agent.decide(ApprovalEvent(pid, agent.plans[pid].plan.plan_hash, "ADV-1", Verdict.APPROVE, 20))
    return agent, pid


def names(results):
    return {r.name: (r.passed, r.event_id) for r in results}


def test_an_approved_order_before_the_kill_switch_passes():
    agent, pid = approved_agent()
    agent.set_kill_switch(True, 30, "control_plane")
    steps = [s.to_record() for s in agent.steps.steps]
    assert names(check_agent_orders([received(1, f"{pid}-B1", 20)], steps)) == {
        "agent_orders_approved_first": (True, ""), "agent_none_after_kill_switch": (True, "")}


def test_an_order_with_no_approval_or_before_it_is_named():
    agent, pid = approved_agent()
    steps = [s.to_record() for s in agent.steps.steps]
    assert names(check_agent_orders([received(1, f"{pid}-B1", 19)], steps))["agent_orders_approved_first"] == \
        (False, "EVT-1")  # submitted before the approval
    assert names(check_agent_orders([received(2, f"{PLAN_PREFIX}-0000099-B1", 25)], steps))[
        "agent_orders_approved_first"] == (False, "EVT-2")  # a plan the agent never had approved


def test_an_approval_of_another_version_of_the_plan_does_not_count():
    agent, pid = approved_agent()
    steps = [s.to_record() for s in agent.steps.steps]
    for record in steps:
        if record["name"] == "approved":
            record["detail"]["plan_hash"] = "e" * 64
    assert not names(check_agent_orders([received(1, f"{pid}-B1", 20)], steps))["agent_orders_approved_first"][0]


def test_an_order_after_the_kill_switch_is_named_and_other_orders_are_ignored():
    agent, pid = approved_agent()
    agent.set_kill_switch(True, 20, "control_plane")
    steps = [s.to_record() for s in agent.steps.steps]
    results = names(check_agent_orders([received(1, "BLK-00001", 5), received(2, f"{pid}-B1", 20)], steps))
    assert results["agent_none_after_kill_switch"] == (False, "EVT-2")
    assert results["agent_orders_approved_first"] == (True, "")  # BLK-00001 is not the agent's


# -- the twin's households for the portfolio engine (TwinHouseholds) and the sells-first port -------------------

from types import SimpleNamespace  # noqa: E402

import pytest  # noqa: E402

from components.domain.commands import SubmitBlock  # noqa: E402
from components.domain.orders import OrderStatus, Side  # noqa: E402
from components.portfolio.households import AccountKind  # noqa: E402
from components.portfolio.rebalance import propose  # noqa: E402
from components.portfolio.universe import SECURITIES, reference_prices  # noqa: E402
from scenarios.config import parse_scenario  # noqa: E402
from twin.advisor_agents import TwinHouseholds, TwinOrderPort  # noqa: E402
from twin.bootstrap import build_twin  # noqa: E402

SMALL = """
name: hh
seed: 5
session: {date: "2026-11-24", open: "09:30", close: "10:00"}
symbols:
  - {symbol: AAPL, reference_price: "190.00"}
  - {symbol: SPY, reference_price: "560.00"}
  - {symbol: AGG, reference_price: "98.50"}
  - {symbol: ZZZ, reference_price: "10.00"}
population: {advisors: 2, clients_per_advisor: 6, sanctioned_clients: 1, cash_min: "20000", cash_max: "200000"}
order_flow: {orders: 0}
advisors: {proposals: 3, max_lots: 3}
"""


@pytest.fixture(scope="module")
def world():
    scenario = parse_scenario(SMALL)
    return build_twin(scenario, scenario.seed)


def test_households_are_the_twins_clients_and_their_lots_are_its_positions(world):
    books = TwinHouseholds(world, world.scenario.advisors)
    assert books.tradable == ("AAPL", "SPY", "AGG")  # ZZZ is no universe symbol; MSFT etc. are not listed
    sanctioned_clients = {a.client_id for a in world.population.accounts if a.account_id in world.sanctioned_accounts}
    assert sanctioned_clients and not sanctioned_clients & set(books.households)
    assert len(books.households) == len(world.population.client_ids) - len(sanctioned_clients)
    held_somewhere = False
    for hid, hh in books.households.items():
        twin = [a for a in world.population.accounts if a.client_id == hid]
        assert [a.account_id for a in hh.accounts] == [a.account_id for a in twin]
        assert [a.kind for a in hh.accounts] == [AccountKind.TAXABLE] + [AccountKind.IRA] * (len(twin) - 1)
        assert hh.advisor_id == twin[0].advisor_id
        assert "MSFT" in hh.policy.restricted and not hh.policy.restricted & set(books.tradable)
        for a in twin:
            for symbol, qty in a.positions:
                lots = [x for x in books.lots[hid] if x.account_id == a.account_id and x.symbol == symbol]
                assert sum(x.quantity for x in lots) == (qty if symbol in SECURITIES else 0)
                assert all(x.acquired < books.as_of and x.cost_basis > 0 for x in lots)
                held_somewhere |= bool(lots)
    assert held_somewhere
    other = build_twin(world.scenario, world.seed)  # seeded: another world of the same seed has the same lots
    again = TwinHouseholds(other, other.scenario.advisors)
    assert again.lots == books.lots and again.households == books.households


def test_the_book_follows_the_platform_and_leaves_out_shares_open_sells_hold(world):
    books = TwinHouseholds(world, world.scenario.advisors)
    prices = {s: sec.reference_price for s, sec in SECURITIES.items()}
    hid, acct, symbol, qty = next((hid, a.account_id, s, q) for hid, hh in books.households.items()
                                  for a in world.population.accounts if a.client_id == hid and a.account_id
                                  == hh.accounts[0].account_id for s, q in a.positions if s in books.tradable)
    risk = world.platform.risk
    risk.on_fill("X-1", acct, symbol, Side.SELL, 1, prices[symbol])  # sold one share today
    risk.on_fill("X-2", acct, "AGG", Side.BUY, 7, prices["AGG"])  # bought 7 AGG today
    book = books.book(hid, prices)
    held = {s: sum(x.quantity for x in book.lots if x.account_id == acct and x.symbol == s) for s in (symbol, "AGG")}
    assert held[symbol] == risk.position(acct, symbol) == qty - 1 + (7 if symbol == "AGG" else 0)
    assert held["AGG"] == risk.position(acct, "AGG")
    assert any(x.lot_id.startswith(f"T-{acct}-AGG-") and x.quantity == 7 for x in book.lots)
    assert any(a.symbol == "AGG" and a.trade_date == books.as_of for a in book.acquisitions)
    assert [r.quantity for r in book.recent_realised if r.symbol == symbol] == [1]  # the taxable account's sale
    assert book.household.account(acct).cash == risk.cash(acct) - risk.reserved(acct)
    risk.on_fill("X-3", acct, symbol, Side.BUY, 1, prices[symbol])  # put it back for the other tests
    risk.on_fill("X-4", acct, "AGG", Side.SELL, 7, prices["AGG"])


def test_every_proposal_trades_listed_symbols_sells_only_what_is_held_and_buys_within_cash(world):
    books = TwinHouseholds(world, world.scenario.advisors)
    prices = reference_prices()
    offered = 0
    for n, hid in enumerate(sorted(books.households)):
        book = books.book(hid, prices)
        proposal = propose(book, prices, books.as_of, 0, f"P-{n}", books.settings).proposal
        if proposal is None:
            continue
        offered += 1
        cash = {a.account_id: a.cash for a in book.household.accounts}
        for t in proposal.trades:
            assert t.symbol in books.tradable and t.account_id in cash
            if t.side is Side.SELL:
                assert t.quantity <= sum(x.quantity for x in book.lots
                                         if x.account_id == t.account_id and x.symbol == t.symbol)
            cash[t.account_id] += (1 if t.side is Side.SELL else -1) * t.quantity * t.est_price
        assert min(cash.values()) >= 0  # each account's buys paid from its cash and its own sales
    assert offered > 0


class _Clock:
    def __init__(self):
        self.now, self.queue = 0, []

    def now_ns(self):
        return self.now

    def call_later(self, delay, fn):
        self.queue.append((self.now + delay, fn))

    def step(self):
        self.queue.sort(key=lambda q: q[0])
        self.now, fn = self.queue.pop(0)
        fn()


def _block(ref, side):
    return SubmitBlock("ADV-001", "SPY", side, (("AC-1", 10), ("AC-2", 5)), "pro_rata", ref, 0)


def _fake_world(clock, wire, orders, close_ns=10**12):
    return SimpleNamespace(clock=clock, network=SimpleNamespace(send=lambda link, c: wire.append(c)),
                           platform=SimpleNamespace(oms=SimpleNamespace(orders=orders)),
                           scenario=SimpleNamespace(session=SimpleNamespace(close_ns=lambda: close_ns)))


def test_a_buy_whose_sells_never_reach_the_oms_is_dropped_at_the_close_not_polled_all_night():
    clock, wire = _Clock(), []
    port = TwinOrderPort(_fake_world(clock, wire, {}, close_ns=3 * 10**9), killed=lambda: False)
    port.submit_block(_block("AGTPLAN-1-B1", "SELL"))  # say the gateway refused it whole: no member orders
    port.submit_block(_block("AGTPLAN-1-B2", "BUY"))
    polls = 0
    while clock.queue:
        clock.step()
        polls += 1
    assert polls == 3 and [c.block_ref for c in port.dropped] == ["AGTPLAN-1-B2"] and len(wire) == 1


def test_the_port_sends_a_plans_buys_only_once_its_sells_stopped_working_and_drops_them_at_the_kill_switch():
    clock, wire, orders, killed = _Clock(), [], {}, [False]
    port = TwinOrderPort(_fake_world(clock, wire, orders), killed=lambda: killed[0])
    port.submit_block(_block("AGTPLAN-1-B1", "SELL"))
    port.submit_block(_block("AGTPLAN-1-B2", "BUY"))
    port.submit_block(_block("AGTPLAN-2-B1", "BUY"))  # a plan without sells: sent at once
    assert [c.block_ref for c in wire] == ["AGTPLAN-1-B1", "AGTPLAN-2-B1"] and len(port.held) == 1
    member = lambda cid, status: SimpleNamespace(spec=SimpleNamespace(client_order_id=cid), status=status)  # noqa: E731
    orders["o1"] = member("AGTPLAN-1-B1-1", OrderStatus.FILLED)
    clock.step()  # the second member has not reached the OMS yet: still held
    assert len(wire) == 2
    orders["o2"] = member("AGTPLAN-1-B1-2", OrderStatus.PARTIALLY_FILLED)
    clock.step()
    assert len(wire) == 2  # still working
    orders["o2"] = member("AGTPLAN-1-B1-2", OrderStatus.BLOCKED)
    clock.step()
    assert [c.block_ref for c in wire][-1] == "AGTPLAN-1-B2" and wire[-1].submitted_ns == clock.now > 0
    assert port.sent[-1] == (clock.now, wire[-1]) and not port.held
    port.submit_block(_block("AGTPLAN-3-B1", "SELL"))
    port.submit_block(_block("AGTPLAN-3-B2", "BUY"))
    killed[0] = True
    clock.step()
    assert [c.block_ref for c in port.dropped] == ["AGTPLAN-3-B2"] and wire[-1].block_ref == "AGTPLAN-3-B1"

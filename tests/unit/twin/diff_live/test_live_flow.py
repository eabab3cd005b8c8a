"""A live session's flow read back from its log: cancels replay when they were asked for."""

from __future__ import annotations

from components.domain.events import EventType
from components.domain.money import to_units
from components.domain.orders import Side
from scenarios.config import parse_scenario
from twin.bootstrap import build_twin
from twin.diff_live.flow import LEAD_NS, script_of
from twin.scripted import AgentOrder, Cancel, Submit, run_script

S = 1_000_000_000
SCENARIO = """
name: flow
seed: 3
symbols: [{symbol: AAPL, reference_price: "190.00"}]
venues: [{name: XNAS, latency_ms: 2.0}]
population: {advisors: 1, clients_per_advisor: 1, cash_min: "1000000", cash_max: "1000000", sanctioned_clients: 0}
order_flow: {orders: 0}
liquidity: {noise_traders: 0}
"""


def test_a_cancel_of_an_order_at_a_venue_replays_at_its_request_not_at_the_venues_answer():
    scenario = parse_scenario(SCENARIO, "flow")
    world = build_twin(scenario, scenario.seed)
    account = world.population.accounts[0]
    body = {"account_id": account.account_id, "symbol": "AAPL", "side": "BUY", "quantity": 100,
            "order_type": "LIMIT", "limit_price": "189.00", "time_in_force": "DAY",
            "advisor_id": account.advisor_id, "client_order_id": "F-1"}
    run_script(world, [AgentOrder(0, "XNAS", "AAPL", Side.SELL, 100, to_units("190.05"), owner="SEED"),
                       Submit(1 * S, body), Cancel(3 * S, account.account_id, "F-1")])
    events = list(world.log.read())
    asked = next(e for e in events if e.event_type is EventType.ORDER_CANCEL_REQUESTED)
    done = next(e for e in events if e.event_type is EventType.ORDER_CANCELED)
    assert asked.timestamp_utc < done.timestamp_utc  # the venue confirms a round trip later

    steps = script_of(events)
    submit = next(e for e in events if e.event_type is EventType.ORDER_RECEIVED)
    sent = int(submit.detail("submitted_ns"))
    assert [type(s) for s in steps] == [Submit, Cancel]  # one cancel, not one per fact
    assert steps[1].at_ns == LEAD_NS + asked.timestamp_utc - sent
    assert (steps[1].account_id, steps[1].client_order_id) == (account.account_id, "F-1")


def test_a_block_replays_as_one_block_request_with_its_lines_and_policy():
    from components.domain.commands import SubmitBlock
    from twin.scripted import Block

    scenario = parse_scenario(SCENARIO.replace("clients_per_advisor: 1", "clients_per_advisor: 2"), "flow")
    world = build_twin(scenario, scenario.seed)
    a, b = world.population.accounts[:2]
    block = SubmitBlock(a.advisor_id, "AAPL", "BUY", ((a.account_id, 60), (b.account_id, 40)), "rotational",
                        "BLK-9", 0, "LIMIT", "190.05")
    run_script(world, [AgentOrder(0, "XNAS", "AAPL", Side.SELL, 100, to_units("190.05"), owner="SEED"),
                       Block(1 * S, block)])
    (step,) = script_of(world.log.read())
    assert isinstance(step, Block) and step.at_ns == LEAD_NS
    assert step.block == block  # the same request: lines, policy, ref, type and price


def test_a_verdict_reached_on_other_inputs_names_the_parameters():
    from twin.diff_live.compare import OrderTrace, diff_traces

    a = OrderTrace("AC/1", "BUY 10 AAPL", 0)
    b = OrderTrace("AC/1", "BUY 10 AAPL", 0)
    a.risk = [("price_collar", "1.0", "PASS", "", (("collar_bps", 500), ("reference_price", 1_900_000)))]
    b.risk = [("price_collar", "1.0", "PASS", "", (("collar_bps", 500), ("reference_price", 1_900_500)))]
    (found,) = diff_traces({"AC/1": a}, {"AC/1": b})
    assert found.detail == "policy price_collar: PASS with reference_price: twin 1900000, live 1900500"

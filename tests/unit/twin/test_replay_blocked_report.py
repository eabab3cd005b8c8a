"""`twin replay`'s comparison on order outcomes: counts by final state and reason, the warning when most
orders never reached a venue, and why routing policies cannot differ when the venues' fees are alike."""

from __future__ import annotations

from types import SimpleNamespace

from components.config.market import Venue
from components.domain.money import to_units
from components.domain.orders import OrderStatus
from components.platform import RefusedRequest
from reports.replay_compare import explain, outcome_line, policy_figures, replay_warnings
from twin.cli_replay import POLICIES, why_policies_agree

BOTH = [POLICIES["fee-aware"], POLICIES["fee-blind"]]


def world(statuses: list[OrderStatus], refused: tuple[RefusedRequest, ...] = ()) -> SimpleNamespace:
    """Just what ``policy_figures`` reads of a run's world: OMS orders, gateway fills, order entry's refusals."""
    spec = SimpleNamespace(quantity=100, client_order_id="", side=SimpleNamespace(value="BUY"))
    orders = {f"ORD-{i}": SimpleNamespace(order_id=f"ORD-{i}", status=s, spec=spec, filled_qty=0, filled_notional=0)
              for i, s in enumerate(statuses)}
    return SimpleNamespace(platform=SimpleNamespace(oms=SimpleNamespace(orders=orders), refused=refused),
                           gateway=SimpleNamespace(venue_fills=[]))


def figures(policy: str, statuses: list[OrderStatus], reasons: dict[str, str], routed: int,
            refused: tuple[RefusedRequest, ...] = ()) -> dict:
    return policy_figures(policy, "", world(statuses, refused), {}, reasons, routed)


def test_orders_are_counted_by_final_state_with_the_reasons_of_those_that_ended_early():
    f = figures("fee-aware", [OrderStatus.BLOCKED, OrderStatus.SETTLED, OrderStatus.BLOCKED, OrderStatus.REJECTED],
                {"ORD-0": "INSUFFICIENT_POSITION", "ORD-2": "SANCTIONED_PARTY", "ORD-3": "NO_FRESH_QUOTE"}, 2,
                refused=(RefusedRequest(1, 422, ("quantity",), "must be at most 1000000"),))
    assert f["orders"] == 4  # the OMS's orders; a refused request never became one
    assert f["orders_by_state"] == {"BLOCKED": 2, "REFUSED_AT_ENTRY": 1, "REJECTED": 1, "SETTLED": 1}
    assert list(f["orders_by_state"]) == ["BLOCKED", "REFUSED_AT_ENTRY", "REJECTED", "SETTLED"]  # most first
    assert f["reasons_by_state"] == {"BLOCKED": {"INSUFFICIENT_POSITION": 1, "SANCTIONED_PARTY": 1},
                                     "REFUSED_AT_ENTRY": {"bad quantity": 1}, "REJECTED": {"NO_FRESH_QUOTE": 1}}
    assert f["reached_venue"] == 2
    assert outcome_line(f) == ("reached a venue 2 of 5; BLOCKED 2 (INSUFFICIENT_POSITION 1, SANCTIONED_PARTY 1), "
                               "REFUSED_AT_ENTRY 1 (bad quantity 1), REJECTED 1 (NO_FRESH_QUOTE 1), SETTLED 1")
    assert replay_warnings([f]) == [  # 3 of 5 never reached a venue: most
        "fee-aware: 3 of 5 orders never reached a venue (BLOCKED 2: INSUFFICIENT_POSITION 1, SANCTIONED_PARTY 1; "
        "REFUSED_AT_ENTRY 1: bad quantity 1; REJECTED 1: NO_FRESH_QUOTE 1); the comparison is about the 2 that did"]


def test_no_warning_while_at_least_half_reached_a_venue_and_one_when_nothing_was_sent():
    half = figures("fee-aware", [OrderStatus.BLOCKED, OrderStatus.SETTLED], {"ORD-0": "INSUFFICIENT_POSITION"}, 1)
    assert replay_warnings([half]) == []
    blocked = figures("fee-blind", [OrderStatus.BLOCKED] * 3, {}, 0)  # a reason not recorded: the state alone
    assert replay_warnings([blocked]) == [
        "fee-blind: 3 of 3 orders never reached a venue (BLOCKED 3); the comparison says nothing about routing"]
    assert replay_warnings([figures("fee-aware", [], {}, 0)]) == [
        "fee-aware: no orders were sent; there is nothing to compare"]


def test_explain_says_why_policies_agree_or_that_nothing_was_routed():
    aware = figures("fee-aware", [OrderStatus.SETTLED], {}, 1)
    blind = figures("fee-blind", [OrderStatus.SETTLED], {}, 1)
    assert explain(aware, blind) == ["fee-blind made the same routing decisions as fee-aware on this day"]
    assert explain(aware, blind, "the fees are alike") == [
        "fee-blind made the same routing decisions as fee-aware on this day: the fees are alike"]
    none_a = figures("fee-aware", [OrderStatus.BLOCKED], {}, 0)
    none_b = figures("fee-blind", [OrderStatus.BLOCKED], {}, 0)
    assert explain(none_a, none_b, "the fees are alike") == [
        "no order reached a venue under either policy, so their routing cannot be compared"]


def test_policies_cannot_differ_exactly_when_every_venue_has_the_same_routing_fees():
    default = (Venue("XNAS"), Venue("ARCX"))
    assert why_policies_agree(default, BOTH, scenario_given=False) == (
        "the venues' fees are identical (ARCX, XNAS: maker rebate $0.0020, taker fee $0.0030 a share), so "
        "fee-aware and fee-blind cannot differ; give --scenario with a fee schedule per venue")
    assert why_policies_agree(default, BOTH, scenario_given=True).endswith(
        "; set different fees per venue in the --scenario")
    # a fixed fee is a taker fee and a negative rebate: the same routing schedule as this maker-taker venue
    fixed = Venue("ARCX", fee_model="fixed", fixed_fee=to_units("0.0005"))
    alike = Venue("XNAS", maker_rebate=-to_units("0.0005"), taker_fee=to_units("0.0005"))
    assert "maker rebate -$0.0005, taker fee $0.0005" in why_policies_agree((alike, fixed), BOTH, False)
    assert why_policies_agree((Venue("XNAS"), fixed), BOTH, False) is None
    assert why_policies_agree((Venue("XNAS", taker_fee=to_units("0.0010")), Venue("ARCX")), BOTH, False) is None
    assert why_policies_agree(default, BOTH[:1], False) is None  # one policy: nothing to compare
    assert why_policies_agree((Venue("XNAS"),), BOTH, False) == (
        "the replay has one venue (XNAS), so fee-aware and fee-blind cannot differ")

"""Block allocation: the pre-trade statement, the Block aggregate, the policies, re-derivation."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from components.blocks import (
    DETAILS_SCHEMA,
    LATEST,
    POLICIES,
    AllocationStatement,
    Block,
    BlockError,
    BlockFill,
    ClearingInstructions,
    StatementError,
    allocate,
    get_policy,
    order_quantities,
    pro_rata,
    rederive,
    rotational,
    round_half_up,
    verify,
)
from components.domain.money import PRICE_SCALE
from components.domain.orders import Order, OrderSpec, OrderType, Side, TimeInForce

D = PRICE_SCALE
T0 = 1_000


def statement(*requests: tuple[str, int], side: Side = Side.BUY, clearing=()) -> AllocationStatement:
    return AllocationStatement("AAPL", side, requests, "ADV1", T0, clearing)


def block_with(requests, fills, block_id: str = "BLK-1", **kw) -> Block:
    block = Block(block_id, statement(*requests, **kw))
    for i, (qty, px) in enumerate(fills):
        block.add_fill(BlockFill(f"X{i}", qty, px, T0 + i))
    return block


# -- statement ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, field",
    [
        (dict(requests=()), "requests"),
        (dict(requests=(("A", 10), ("A", 5))), "requests[1].account_id"),
        (dict(requests=(("A", 0),)), "requests[0].quantity"),
        (dict(requests=(("A", -3),)), "requests[0].quantity"),
        (dict(requests=(("A", True),)), "requests[0].quantity"),
        (dict(requests=(("A", 1.5),)), "requests[0].quantity"),
        (dict(requests=(("", 5),)), "requests[0].account_id"),
        (dict(requests=(("A", 5, 1),)), "requests[0]"),
        (dict(symbol=""), "symbol"),
        (dict(side="BUY"), "side"),
        (dict(advisor_id=""), "advisor_id"),
        (dict(created_ns=-1), "created_ns"),
        (dict(clearing=(("Z", ClearingInstructions()),)), "clearing[0].account_id"),
        (dict(clearing=(("A", "GS"),)), "clearing[0]"),
    ],
)
def test_statement_validation_names_the_field(kwargs, field):
    base = dict(symbol="AAPL", side=Side.BUY, requests=(("A", 10),), advisor_id="ADV1", created_ns=T0)
    base.update(kwargs)
    with pytest.raises(StatementError) as err:
        AllocationStatement(**base)
    assert err.value.field == field
    assert f"AllocationStatement.{field}:" in str(err.value)


def test_statement_normalises_lists_and_round_trips():
    s = AllocationStatement("AAPL", Side.SELL, [["A", 10], ["B", 20]], "ADV1", T0,
                            [("B", ClearingInstructions("EXEC", "GS"))])  # fmt: skip
    assert s.requests == (("A", 10), ("B", 20))
    assert s.total_requested == 30 and s.requested("B") == 20 and s.accounts == ("A", "B")
    assert s.clearing_for("B").give_up and s.clearing_for("A") is None
    assert AllocationStatement.from_record(json.loads(json.dumps(s.to_record()))) == s
    hash(s)  # frozen and hashable


def test_step_out_needs_a_broker_to_step_in_to():
    with pytest.raises(ValueError, match="clearing_broker"):
        ClearingInstructions(executing_broker="EXEC", step_out=True)
    assert not ClearingInstructions("EXEC", "EXEC").give_up
    assert ClearingInstructions("", "GS", step_out=True).give_up


# -- block -------------------------------------------------------------------------------------


def test_block_average_price_is_exact_and_rounds_half_up():
    block = block_with([("A", 100), ("B", 100)], [(1, 100 * D), (2, 100 * D + 1)])
    assert block.filled_qty == 3 and block.leaves_qty == 197
    assert block.avg_price_exact == Fraction(300 * D + 2, 3)
    assert block.avg_price == 100 * D + 1  # 100.000066.. -> rounds up (2/3 > 1/2)
    assert round_half_up(5, 2) == 3 and round_half_up(3, 2) == 2 and round_half_up(7, 3) == 2


def test_block_fills_are_idempotent_by_exec_id():
    block = block_with([("A", 100)], [(10, 50 * D)])
    assert block.add_fill(BlockFill("X0", 10, 50 * D, T0)) is False
    assert block.filled_qty == 10
    with pytest.raises(BlockError, match="different contents"):
        block.add_fill(BlockFill("X0", 11, 50 * D, T0))


def test_block_refuses_overfill_and_fills_before_the_statement():
    block = block_with([("A", 100)], [(90, 50 * D)])
    with pytest.raises(BlockError, match="exceeds leaves 10"):
        block.add_fill(BlockFill("X9", 11, 50 * D, T0 + 5))
    with pytest.raises(BlockError, match="predates the allocation statement"):
        block.add_fill(BlockFill("X8", 1, 50 * D, T0 - 1))


@pytest.mark.parametrize("field, value", [("quantity", 0), ("price", -1), ("exec_id", ""), ("timestamp_ns", -5)])
def test_block_fill_validation(field, value):
    kw = dict(exec_id="X", quantity=1, price=D, timestamp_ns=T0)
    kw[field] = value
    with pytest.raises(BlockError, match=f"BlockFill.{field}"):
        BlockFill(**kw)


def _order(order_id: str, account: str, qty: int, symbol: str = "AAPL") -> Order:
    spec = OrderSpec(account, symbol, Side.BUY, qty, OrderType.LIMIT, 190 * D, TimeInForce.DAY, "ADV1", order_id)
    return Order(order_id, f"T-{order_id}", spec, created_ns=T0)


def test_block_from_orders_aggregates_accounts_and_splits_back_fifo():
    orders = [_order("O1", "A", 30), _order("O2", "B", 50), _order("O3", "A", 20)]
    block = Block.from_orders("BLK-9", orders, created_ns=T0)
    assert block.statement.requests == (("A", 50), ("B", 50))
    block.add_fill(BlockFill("X", 60, 190 * D, T0))
    result = allocate(block, "pro_rata")
    assert dict((ln.account_id, ln.quantity) for ln in result.lines) == {"A": 30, "B": 30}
    assert order_quantities(block, result) == (("O1", 30), ("O2", 30), ("O3", 0))


def test_block_from_orders_refuses_mixed_symbols():
    with pytest.raises(BlockError, match="different symbol"):
        Block.from_orders("BLK", [_order("O1", "A", 10), _order("O2", "B", 10, symbol="MSFT")], created_ns=T0)


# -- policies ----------------------------------------------------------------------------------


def test_registry_has_named_versioned_policies():
    assert set(POLICIES) == {("pro_rata", "1.0"), ("rotational", "1.0")}
    assert LATEST == {"pro_rata": "1.0", "rotational": "1.0"}
    assert get_policy("rotational").split is rotational
    with pytest.raises(KeyError, match="no allocation policy 'pro_rata' version '9.9'"):
        get_policy("pro_rata", "9.9")


def test_pro_rata_largest_remainder():
    # targets: 100*1/6=16.67, 100*2/6=33.33, 100*3/6=50 -> floors 16, 33, 50, one share left -> A (0.67)
    out = pro_rata((("A", 100), ("B", 200), ("C", 300)), 100)
    assert out.quantities == (("A", 17), ("B", 33), ("C", 50))


def test_pro_rata_breaks_ties_by_account_id_and_keeps_the_pointer():
    requests = (("C", 100), ("A", 100), ("B", 100))
    out = pro_rata(requests, 2, "B")
    assert out.quantities == (("C", 0), ("A", 1), ("B", 1))  # statement order kept
    assert out.pointer == "B"


@pytest.mark.parametrize("split", [pro_rata, rotational])
def test_edges_full_and_empty_fill(split):
    requests = (("A", 7), ("B", 3))
    assert split(requests, 10, "").quantities == requests
    assert split(requests, 0, "").quantities == (("A", 0), ("B", 0))
    with pytest.raises(ValueError, match="within 0..10"):
        split(requests, 11, "")


def test_rotational_takes_turns_on_ties():
    requests = (("A", 100), ("B", 100), ("C", 100))
    pointer, winners = "", []
    for _ in range(6):
        out = rotational(requests, 1, pointer)
        winners.append(next(a for a, q in out.quantities if q))
        pointer = out.pointer
    assert winners == ["A", "B", "C", "A", "B", "C"]


def test_rotational_two_of_three_rotates_evenly():
    requests = (("A", 100), ("B", 100), ("C", 100))
    pointer, got = "", {"A": 0, "B": 0, "C": 0}
    for _ in range(3):
        out = rotational(requests, 2, pointer)
        for a, q in out.quantities:
            got[a] += q
        pointer = out.pointer
    assert got == {"A": 2, "B": 2, "C": 2}


def test_rotational_pointer_moves_only_on_contested_ties():
    # No tie: fractional parts differ (A 0.67 vs B 0.33), so the pointer stays.
    assert rotational((("A", 10), ("B", 20)), 1, "B").pointer == "B"
    # Equal fractions but every tied account served: nothing contested, pointer stays.
    out = rotational((("A", 10), ("B", 3), ("C", 3), ("D", 4)), 5, "")  # B, C .75 win; A .5 loses
    assert out.quantities == (("A", 2), ("B", 1), ("C", 1), ("D", 1)) and out.pointer == ""
    # A non-tied winner (D, .875) far along the ring does not drag the pointer past
    # the tied accounts that lost (B, C at .375): the pointer stops at the tie's winner.
    requests = (("A", 1), ("B", 1), ("C", 1), ("D", 5))
    out = rotational(requests, 3, "")
    assert out.quantities == (("A", 1), ("B", 0), ("C", 0), ("D", 2)) and out.pointer == "A"
    out = rotational(requests, 3, out.pointer)
    assert out.quantities == (("A", 0), ("B", 1), ("C", 0), ("D", 2)) and out.pointer == "B"


def test_rotational_pointer_survives_a_different_account_set():
    # Pointer "B" from an earlier block: ring starts after B even when B is absent now.
    out = rotational((("A", 100), ("C", 100), ("D", 100)), 1, "B")
    assert out.quantities == (("A", 0), ("C", 1), ("D", 0)) and out.pointer == "C"
    out = rotational((("A", 100), ("C", 100)), 1, "Z")  # past the end: wraps
    assert out.quantities == (("A", 1), ("C", 0))


# -- allocate, details, re-derivation -----------------------------------------------------------


def test_allocate_gives_every_account_the_same_price_and_books_the_residual():
    block = block_with([("A", 100), ("B", 100), ("C", 100)], [(1, 100 * D), (1, 100 * D), (1, 100 * D + 1)])
    result = allocate(block, "rotational", "")
    assert result.price == 100 * D  # 300.0001/3 = 100.000033 -> 100.0000
    assert {ln.price for ln in result.lines} == {100 * D}
    assert result.rounding_residual == 1
    assert sum(ln.gross for ln in result.lines) + result.rounding_residual == result.filled_notional
    assert result.allocated_qty == result.filled_qty == 3


def test_allocate_carries_clearing_fields_and_records_policy_and_pointers():
    gs = ClearingInstructions("EXEC", "GS", step_out=True)
    block = block_with([("A", 100), ("B", 100)], [(51, 10 * D)], clearing=(("B", gs),))
    result = allocate(block, get_policy("rotational", "1.0"), "A")
    assert (result.policy, result.policy_version) == ("rotational", "1.0")
    assert result.quantity_for("B") == 26 and result.quantity_for("A") == 25  # tie: ring after "A" starts at B
    assert (result.pointer_in, result.pointer_out) == ("A", "B")
    assert [ln.clearing for ln in result.lines] == [None, gs]


def test_details_are_json_and_rederive_to_an_identical_result():
    gs = ClearingInstructions("", "GS")
    block = block_with([("A", 70), ("B", 20), ("C", 10)], [(13, 101 * D + 3), (20, 100 * D + 99)],
                       clearing=(("C", gs),))  # fmt: skip
    for policy in ("pro_rata", "rotational"):
        result = allocate(block, policy, "B")
        details = json.loads(json.dumps(result.to_details()))
        assert details["schema"] == DETAILS_SCHEMA
        assert rederive(details) == result
        assert verify(details)


def test_verify_catches_a_tampered_record():
    result = allocate(block_with([("A", 50), ("B", 50)], [(51, 10 * D)]), "pro_rata")
    details = result.to_details()
    details["allocations"][0]["quantity"] += 1
    assert not verify(details)
    details = result.to_details()
    details["schema"] = "block-allocation/0"
    with pytest.raises(ValueError, match="schema"):
        rederive(details)


def test_unfilled_block_allocates_zeros():
    result = allocate(block_with([("A", 5), ("B", 5)], []), "rotational")
    assert [ln.quantity for ln in result.lines] == [0, 0] and result.price == 0 and result.rounding_residual == 0

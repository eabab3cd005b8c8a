"""Properties of block allocation for any statement and fill sequence, and the fairness study."""

from __future__ import annotations

import json
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from components.blocks import (
    POLICIES,
    AllocationStatement,
    Block,
    BlockFill,
    allocate,
    fairness_study,
    get_policy,
    rederive,
    verify,
)
from components.domain.money import PRICE_SCALE
from components.domain.orders import Side

ACCOUNT_IDS = st.text(alphabet="ABCDEFGHJK0123456789", min_size=1, max_size=4)


@st.composite
def blocks(draw) -> Block:
    accounts = draw(st.lists(ACCOUNT_IDS, min_size=1, max_size=8, unique=True))
    requests = tuple((a, draw(st.integers(1, 500))) for a in accounts)
    side = draw(st.sampled_from(Side))
    block = Block("BLK", AllocationStatement("XYZ", side, requests, "ADV", created_ns=100))
    left = block.quantity - draw(st.integers(0, block.quantity))  # shares that stay unfilled
    i = 0
    while block.leaves_qty > left:
        qty = draw(st.integers(1, block.leaves_qty - left))
        price = draw(st.integers(1, 2_000 * PRICE_SCALE))
        block.add_fill(BlockFill(f"X{i}", qty, price, 100 + i, fee=draw(st.integers(-100, 100))))
        i += 1
    return block


POLICY_KEYS = st.sampled_from(sorted(POLICIES))
POINTERS = st.one_of(st.just(""), ACCOUNT_IDS)


@settings(max_examples=300, deadline=None)
@given(blocks(), POLICY_KEYS, POINTERS)
def test_allocation_invariants(block, key, pointer):
    result = allocate(block, get_policy(*key), pointer)
    # Allocations sum exactly to the filled quantity.
    assert sum(ln.quantity for ln in result.lines) == block.filled_qty
    # Every account at the block's one price: the exact average rounded half-up.
    assert {ln.price for ln in result.lines} <= {block.avg_price}
    if block.filled_qty:
        exact = Fraction(block.filled_notional, block.filled_qty)
        assert abs(exact - block.avg_price) <= Fraction(1, 2)
    # Client cash plus the rounding residual is the street cash, exactly.
    assert sum(ln.gross for ln in result.lines) + result.rounding_residual == block.filled_notional
    assert 2 * abs(result.rounding_residual) <= block.filled_qty
    # Nobody beyond their statement; everyone within one share of the exact pro-rata target.
    total = block.statement.total_requested
    for ln in result.lines:
        assert 0 <= ln.quantity <= ln.requested
        assert abs(ln.quantity - Fraction(block.filled_qty * ln.requested, total)) < 1
    # The record re-derives to the identical result, through JSON.
    details = json.loads(json.dumps(result.to_details()))
    assert rederive(details) == result
    assert verify(details)


@settings(max_examples=200, deadline=None)
@given(blocks(), POLICY_KEYS, POINTERS, st.randoms(use_true_random=False))
def test_statement_order_does_not_matter(block, key, pointer, rnd):
    """How the advisor happened to list the accounts never changes who gets what."""
    shuffled = list(block.statement.requests)
    rnd.shuffle(shuffled)
    s = block.statement
    other = Block("BLK", AllocationStatement(s.symbol, s.side, tuple(shuffled), s.advisor_id, s.created_ns))
    for fill in block.fills:
        other.add_fill(fill)
    a, b = allocate(block, get_policy(*key), pointer), allocate(other, get_policy(*key), pointer)
    assert {ln.account_id: ln.quantity for ln in a.lines} == {ln.account_id: ln.quantity for ln in b.lines}
    assert a.pointer_out == b.pointer_out


def test_fairness_study_rotational_has_no_systematic_advantage():
    """Threshold: the study's Bonferroni noise bound (alpha = 0.001): the spread of
    per-account mean fill ratios a bias-free policy exceeds with probability < 0.1%
    (see ``components.blocks.fairness``). Several seeds, so one lucky seed proves nothing."""
    for seed in (0, 1, 2):
        study = fairness_study(n_blocks=1_000, seed=seed)
        rot, pro = study["policies"]["rotational"], study["policies"]["pro_rata"]
        assert rot["spread"] < rot["noise_threshold"], (seed, rot)
        # The study can see a bias: pro_rata's fixed tie-break (lowest account id) shows up.
        assert pro["spread"] > pro["noise_threshold"], (seed, pro)
        assert pro["remainder_shares"]["ACCT00"] > pro["remainder_shares"]["ACCT04"]


def test_fairness_study_is_seeded():
    assert fairness_study(200, seed=5) == fairness_study(200, seed=5)
    assert fairness_study(200, seed=5) != fairness_study(200, seed=6)

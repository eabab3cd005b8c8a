"""Seeded fairness study: does a policy systematically favour some account?

Analytics, not the ledger: floats are fine here. Each simulated block has the
same book of accounts (``ACCT00``..), a statement in shuffled order, and
random requests: half the blocks are model-portfolio rebalances (every account
asks for the same lot, so every rounding remainder is a tie), the rest ask for
independent lots. Lots are 10..200 shares in tens. Each block is partially
filled (1..total shares) in 1..4 fills at prices near $100.

Every account in a block has the same exact pro-rata fill ratio
(``filled / total_requested``), so differences between accounts' mean fill
ratios (allocated / requested) come only from rounding, i.e. from the policy.
The noise bound is conservative: under "no account-specific bias", each
account's mean deviation from the block ratio lies within
``z(1 - alpha / (2k)) * SE`` of the common mean (Bonferroni over ``k``
accounts), so the spread exceeds ``2 z * max SE`` with probability < alpha.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np

from ..domain.money import CENT, PRICE_SCALE
from ..domain.orders import Side
from .allocate import allocate
from .block import Block, BlockFill
from .policies import get_policy
from .statement import AllocationStatement

ALPHA = 0.001
"""False-alarm rate of the noise threshold."""


def _blocks(n_blocks: int, seed: int, accounts: tuple[str, ...]) -> list[Block]:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    blocks = []
    for b in range(n_blocks):
        order = [accounts[i] for i in rng.permutation(len(accounts))]
        if rng.random() < 0.5:
            lot = 10 * int(rng.integers(1, 21))
            requests = tuple((a, lot) for a in order)
        else:
            requests = tuple((a, 10 * int(rng.integers(1, 21))) for a in order)
        total = sum(q for _, q in requests)
        filled = int(rng.integers(1, total + 1))
        n_fills = min(filled, int(rng.integers(1, 5)))
        cuts = sorted(int(c) for c in rng.choice(np.arange(1, filled), size=n_fills - 1, replace=False))
        sizes = [hi - lo for lo, hi in zip([0, *cuts], [*cuts, filled])]
        statement = AllocationStatement("SIM", Side.BUY, requests, "ADV-STUDY", created_ns=b)
        block = Block(f"B{b:05d}", statement)
        for i, qty in enumerate(sizes):
            price = 100 * PRICE_SCALE + int(rng.integers(-50, 51)) * CENT
            block.add_fill(BlockFill(f"B{b:05d}-X{i}", qty, price, timestamp_ns=b + 1))
        blocks.append(block)
    return blocks


def _study(blocks: list[Block], policy_name: str, accounts: tuple[str, ...]) -> dict[str, Any]:
    policy = get_policy(policy_name)
    n = len(blocks)
    ratio_sum = dict.fromkeys(accounts, 0.0)
    dev_sum = dict.fromkeys(accounts, 0.0)
    dev_sq = dict.fromkeys(accounts, 0.0)
    bonus = dict.fromkeys(accounts, 0)
    pointer = ""
    for block in blocks:
        result = allocate(block, policy, pointer)
        pointer = result.pointer_out
        total = block.statement.total_requested
        for line in result.lines:
            ratio = line.quantity / line.requested
            dev = ratio - block.filled_qty / total
            ratio_sum[line.account_id] += ratio
            dev_sum[line.account_id] += dev
            dev_sq[line.account_id] += dev * dev
            bonus[line.account_id] += line.quantity - block.filled_qty * line.requested // total
    means = {a: ratio_sum[a] / n for a in accounts}
    std_errors = {}
    for a in accounts:
        mean_dev = dev_sum[a] / n
        var = max(dev_sq[a] / n - mean_dev * mean_dev, 0.0) * n / max(n - 1, 1)
        std_errors[a] = math.sqrt(var / n)
    z = NormalDist().inv_cdf(1 - ALPHA / (2 * len(accounts)))
    return {
        "policy": policy.name,
        "version": policy.version,
        "fill_ratio_mean": means,
        "spread": max(means.values()) - min(means.values()),
        "std_error": std_errors,
        "noise_threshold": 2 * z * max(std_errors.values()),
        "remainder_shares": bonus,
        "final_pointer": pointer,
    }


def fairness_study(n_blocks: int = 1000, seed: int = 0, accounts: int = 5) -> dict[str, Any]:
    """Mean fill ratio per account under ``rotational`` and ``pro_rata`` over the same seeded blocks.

    Returns ``{"n_blocks", "seed", "accounts", "alpha", "policies": {name: {...}}}``
    where each policy entry has ``fill_ratio_mean`` (per account), ``spread``
    (max - min of those means), ``std_error`` (per account), ``noise_threshold``
    (spread a bias-free policy stays under with probability 1 - alpha),
    ``remainder_shares`` (rounding shares each account received) and
    ``final_pointer``.
    """
    if n_blocks < 2 or accounts < 2:
        raise ValueError("need at least 2 blocks and 2 accounts")
    ids = tuple(f"ACCT{i:02d}" for i in range(accounts))
    blocks = _blocks(n_blocks, seed, ids)
    return {
        "n_blocks": n_blocks,
        "seed": seed,
        "accounts": list(ids),
        "alpha": ALPHA,
        "policies": {name: _study(blocks, name, ids) for name in ("rotational", "pro_rata")},
    }

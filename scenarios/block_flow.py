"""Block arrivals: when advisors submit blocks over the day, and what they ask for.

``block_intents`` draws the scenario's ``blocks.count`` block submissions: a
time on the session's U-shaped curve, an advisor, up to ``blocks.accounts`` of
that advisor's accounts, a symbol and a quantity per account (sized to the
account's cash, as single orders are). Blocks are buys: a sell block would need
every account to hold the symbol, which the default population rarely gives.
Deterministic given the numpy Generator (the twin passes the ``blocks`` stream).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .arrivals import BUY_CASH_FRACTION, _buy_quantity, _quantity, arrival_times_ns
from .config import Scenario
from .population import Population


@dataclass(frozen=True, slots=True)
class BlockIntent:
    """One block submission at ``submit_ns`` (UTC ns)."""

    submit_ns: int
    advisor_id: str
    symbol: str
    side: Literal["BUY", "SELL"]
    lines: tuple[tuple[str, int], ...]
    """(account_id, quantity): the pre-trade allocation statement."""
    order_type: Literal["MARKET", "LIMIT"]
    limit_offset_bps: int
    """For LIMIT: signed bps from the touch; positive = more aggressive. 0 for MARKET."""
    policy: str
    block_ref: str


def block_intents(scenario: Scenario, population: Population, rng: np.random.Generator) -> list[BlockIntent]:
    """All block submissions of the session, sorted by time."""
    cfg = scenario.blocks
    if cfg.count == 0:
        return []
    times = arrival_times_ns(cfg.count, scenario.session_open_ns, scenario.session_close_ns,
                             scenario.order_flow.u_shape, rng)  # fmt: skip
    by_advisor: dict[str, list] = {}
    for acct in population.accounts:
        by_advisor.setdefault(acct.advisor_id, []).append(acct)
    advisors = sorted(by_advisor)
    prices = {s.symbol: s.reference_price for s in scenario.symbols}
    symbols = scenario.symbol_names
    out = []
    for i, at in enumerate(times):
        advisor = advisors[int(rng.integers(0, len(advisors)))]
        accounts = by_advisor[advisor]
        k = min(cfg.accounts, len(accounts))
        picked = sorted(int(j) for j in rng.choice(len(accounts), size=k, replace=False))
        symbol = symbols[int(rng.integers(0, len(symbols)))]
        market = rng.random() < cfg.market_fraction
        offset = int(rng.integers(-cfg.limit_offset_bps, cfg.limit_offset_bps + 1))
        lines = []
        for j in picked:
            drawn, spend = _quantity(rng, cfg.mean_shares), rng.exponential(BUY_CASH_FRACTION)
            lines.append((accounts[j].account_id, _buy_quantity(drawn, spend * accounts[j].cash, prices[symbol])))
        out.append(BlockIntent(int(at), advisor, symbol, "BUY", tuple(lines), "MARKET" if market else "LIMIT",
                               0 if market else offset, cfg.policy, f"BLK-{i + 1:05d}"))  # fmt: skip
    return out

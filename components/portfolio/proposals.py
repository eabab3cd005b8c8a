"""A rebalancing proposal: the non-binding trade list an advisor sees, accepts or rejects.

Shared by the portfolio engine that produces proposals (drift, optimisation, tax-loss
harvesting) and the trade-execution agent that may act on an *approved* one. Quantities are
whole shares; prices and money are integer units (``components.domain.money``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..domain.orders import Side


class ProposalReason(str, Enum):
    """Why a trade is in a proposal."""

    DRIFT = "drift"
    """Brings a holding back inside its band around the target model."""
    CASH_FLOOR = "cash_floor"
    """Raises cash to the policy's floor."""
    RESTRICTED = "restricted"
    """Sells a security the policy restricts or excludes (ESG)."""
    TAX_LOSS_HARVEST = "tax_loss_harvest"
    """Realises a loss (a sale of specific lots) or buys its replacement."""


@dataclass(frozen=True, slots=True)
class ProposedTrade:
    """One trade in one account, with the reason a reader sees next to it."""

    account_id: str
    symbol: str
    side: Side
    quantity: int
    reason: ProposalReason
    explanation: str
    """Plain words: what drifted and by how much, which lot is harvested, and so on."""
    lot_ids: tuple[str, ...] = ()
    """For a sale under specific lot identification: the lots sold, in order."""
    est_price: int = 0
    """The price (units) the proposal was costed at; 0 when not priced."""

    def __post_init__(self) -> None:
        if type(self.quantity) is not int or self.quantity <= 0:
            raise ValueError(f"ProposedTrade.quantity must be a positive int, got {self.quantity!r}")


@dataclass(frozen=True, slots=True)
class RebalanceProposal:
    """A household's proposed trades, as of ``as_of_ns``; non-binding until an advisor approves it."""

    proposal_id: str
    household_id: str
    advisor_id: str
    as_of_ns: int
    trades: tuple[ProposedTrade, ...]
    summary: str
    """Why this proposal exists (what drifted, the tax effect), for the advisor."""

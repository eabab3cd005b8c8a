"""Venue fee models: what a fill costs (or pays) the party that traded.

One interface, ``FeeModel``, so a venue can be given any pricing scheme
(maker-taker, inverted, flat, tiered) without the venue knowing which:
``MakerTakerFees`` for exchanges, ``FixedFee`` for a wholesaler or dark venue
charging the same per share whatever the liquidity. What the smart order
router ranks a venue by is not the venue's business: it comes from the venue's
configuration (``components.config.market.Venue.routing_schedule``), the same
in the twin and live. Fees are integer units (``components.domain.money``):
positive is a charge, negative a rebate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from components.config.market import Venue
from components.domain.venues import FeeSchedule, Liquidity


@runtime_checkable
class FeeModel(Protocol):
    """Prices one fill for one side of the trade."""

    def fee(self, liquidity: Liquidity, qty: int) -> int:
        """Units charged for ``qty`` shares traded as ``liquidity``; negative is a rebate."""
        ...


@dataclass(frozen=True, slots=True)
class MakerTakerFees(FeeSchedule):
    """Classic maker-taker pricing from a per-share ``FeeSchedule``.

    The taker pays ``taker_fee`` per share; the maker receives ``maker_rebate``
    per share (returned as a negative fee). An inverted venue is expressed with
    a negative ``maker_rebate`` (makers pay) and/or negative ``taker_fee``.
    """

    def __post_init__(self) -> None:
        for name in ("maker_rebate", "taker_fee"):
            value = getattr(self, name)
            if type(value) is not int:
                raise ValueError(f"{name} must be an int number of units per share, got {value!r}")

    @classmethod
    def from_schedule(cls, schedule: FeeSchedule) -> MakerTakerFees:
        """Wrap a plain ``FeeSchedule`` (e.g. parsed from a scenario file)."""
        return cls(maker_rebate=schedule.maker_rebate, taker_fee=schedule.taker_fee)

    def fee(self, liquidity: Liquidity, qty: int) -> int:
        """Taker: ``taker_fee * qty``; maker: ``-maker_rebate * qty``."""
        if liquidity is Liquidity.TAKER:
            return self.taker_fee * qty
        if liquidity is Liquidity.MAKER:
            return -self.maker_rebate * qty
        raise ValueError(f"liquidity must be a Liquidity, got {liquidity!r}")


@dataclass(frozen=True, slots=True)
class FixedFee:
    """A flat fee per share whatever the liquidity: a wholesaler or dark venue.

    Taking or providing costs ``per_share`` units a share (negative would pay
    the same rebate either way).
    """

    per_share: int

    def __post_init__(self) -> None:
        if type(self.per_share) is not int:
            raise ValueError(f"per_share must be an int number of units per share, got {self.per_share!r}")

    def fee(self, liquidity: Liquidity, qty: int) -> int:
        """``per_share * qty`` for a MAKER or a TAKER fill."""
        if liquidity is not Liquidity.TAKER and liquidity is not Liquidity.MAKER:
            raise ValueError(f"liquidity must be a Liquidity, got {liquidity!r}")
        return self.per_share * qty


def fee_model_of(venue: Venue) -> MakerTakerFees | FixedFee:
    """The fee model a configured venue charges with (``fee_model: maker_taker`` or ``fixed``).

    The one rule for every place that builds a simulated venue: the twin, the
    live stack's in-process and embedded venues, and ``twin venue serve``. The
    router's view of the same fees is ``Venue.routing_schedule``.
    """
    if venue.fee_model == "fixed":
        return FixedFee(venue.fixed_fee)
    return MakerTakerFees(venue.maker_rebate, venue.taker_fee)

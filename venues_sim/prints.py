"""Trade prints a venue reports to the consolidated tape, with their sale condition.

The simulated market's continuous trades reach the tape through the fronts
the participants trade through (``scenarios.agents.tape``); the prints here
are the ones no front sees because no participant's order entry call made
them: a reopening auction's cross after a halt or a LULD pause, and the
trades of the orders a venue releases when it resumes continuous trading
after the primary listing market's reopening (``venues_sim.reopening``).
``SimVenue.reopening_prints`` keeps them; the run's market prints
(``twin.market_recorder.MarketTimeline``) read them.

A print carries the sale condition a consumer needs to tell an auction print
from a regular trade. The codes are the consolidated tapes' own (CTA and UTP
both use them): ``@`` regular sale, ``5`` market center reopening trade. A
reopening print is last-sale and volume eligible on the real tapes, so a
VWAP over the tape counts it, as TCA's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class SaleCondition(str, Enum):
    """The sale condition of a print (the CTA/UTP code is the value)."""

    REGULAR = "@"
    """A regular trade in continuous trading."""
    REOPENING = "5"
    """A reopening auction's cross after a halt or a LULD pause (one print per auction: its volume)."""


@dataclass(frozen=True, slots=True)
class TapePrint:
    """One print: ``qty`` shares of ``symbol`` at ``price`` (integer units) on ``venue`` at ``t_ns``."""

    symbol: str
    venue: str
    t_ns: int
    price: int
    qty: int
    condition: SaleCondition

    def __post_init__(self) -> None:
        if type(self.qty) is not int or self.qty <= 0:
            raise ValueError(f"qty must be a positive int, got {self.qty!r}")
        if type(self.price) is not int or self.price <= 0:
            raise ValueError(f"price must be a positive int, got {self.price!r}")
        if not isinstance(self.condition, SaleCondition):
            raise ValueError(f"condition must be a SaleCondition, got {self.condition!r}")

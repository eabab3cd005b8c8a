"""Drift: how far a household's holdings are from its target model, and in plain words what drifted.

Weights are measured over the whole household (every account together, cash included), the way
an IPS states them. A holding has drifted when its weight is outside the IPS bands: further from
target than ``absolute_bps``, or (targets above zero only) further than ``relative_bps`` of its
target. A security held but not in the targets (restricted, ESG-excluded, or not in the model)
has target 0 and is judged on the absolute band alone.

``stand_ins`` maps a harvest replacement to the target it stands in for (VTI for SPY while SPY
may not be bought): its value counts toward that target, so a harvest does not read as drift.
Weights are floats (analytics); values are exact integer units.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from .households import Household
from .lots import Lot
from .universe import BPS, CASH


@dataclass(frozen=True, slots=True)
class DriftRow:
    """One target (or held security) of the household."""

    symbol: str
    target_bps: int
    value: int
    """Units held (stand-ins included)."""
    weight_bps: float

    @property
    def deviation_bps(self) -> float:
        """Weight minus target, bps."""
        return self.weight_bps - self.target_bps


@dataclass(frozen=True, slots=True)
class DriftReport:
    """The household's weights against target, and which breach the IPS bands."""

    household_id: str
    total_value: int
    rows: tuple[DriftRow, ...]
    drifted: tuple[str, ...]
    """Symbols outside their band, in row order."""
    explanation: str

    def row(self, symbol: str) -> DriftRow:
        """The row of ``symbol``; KeyError if absent."""
        for r in self.rows:
            if r.symbol == symbol:
                return r
        raise KeyError(symbol)

    @property
    def max_abs_deviation_bps(self) -> float:
        """Largest |weight - target| over all rows (0 for an empty household)."""
        return max((abs(r.deviation_bps) for r in self.rows), default=0.0)


def slot_of(symbol: str, stand_ins: Mapping[str, str]) -> str:
    """The target a holding counts toward."""
    return stand_ins.get(symbol, symbol)


def holdings_value(lots: Iterable[Lot], prices: Mapping[str, int], stand_ins: Mapping[str, str] = {}) -> dict[str, int]:
    """Units held per target slot, all accounts together."""
    out: dict[str, int] = {}
    for lot in lots:
        slot = slot_of(lot.symbol, stand_ins)
        out[slot] = out.get(slot, 0) + lot.quantity * prices[lot.symbol]
    return out


def breach(deviation_bps: float, target_bps: int, absolute_bps: int, relative_bps: int) -> str | None:
    """Which band a deviation breaks ("absolute", "relative") or None. Relative bands only apply to a
    positive target (any holding is an infinite relative deviation from 0)."""
    if abs(deviation_bps) > absolute_bps:
        return "absolute"
    if target_bps > 0 and abs(deviation_bps) * BPS > relative_bps * target_bps:
        return "relative"
    return None


def measure_drift(household: Household, lots: Iterable[Lot], prices: Mapping[str, int], cash: int | None = None,
                  stand_ins: Mapping[str, str] = {}) -> DriftReport:
    """Drift of the household (``cash`` defaults to its accounts' cash) against its IPS targets."""
    policy = household.policy
    targets = policy.targets_bps()
    values = holdings_value(lots, prices, stand_ins)
    values[CASH] = household.cash if cash is None else cash
    total = sum(values.values())
    symbols = [s for s in targets if s != CASH] + sorted(s for s in values if s not in targets) + [CASH]
    rows = tuple(DriftRow(s, targets.get(s, 0), values.get(s, 0),
                          values.get(s, 0) * BPS / total if total else 0.0) for s in symbols)
    bands = policy.bands
    drifted: list[str] = []
    lines: list[str] = []
    for r in rows:
        kind = breach(r.deviation_bps, r.target_bps, bands.absolute_bps, bands.relative_bps)
        if kind is None:
            continue
        drifted.append(r.symbol)
        word = "over" if r.deviation_bps > 0 else "under"
        band = (f"absolute band {bands.absolute_bps / 100:.1f} pts" if kind == "absolute"
                else f"relative band {bands.relative_bps / 100:.0f}% of target")
        lines.append(f"{r.symbol} {r.weight_bps / 100:.1f}% vs target {r.target_bps / 100:.1f}% "
                     f"({word}weight by {abs(r.deviation_bps) / 100:.1f} pts; outside the {band})")
    if not drifted:
        text = (f"{household.household_id}: within bands (largest deviation "
                f"{max((abs(r.deviation_bps) for r in rows), default=0.0) / 100:.1f} pts)")
    else:
        text = f"{household.household_id} ({policy.model_id} model): " + "; ".join(lines)
    return DriftReport(household.household_id, total, rows, tuple(drifted), text)

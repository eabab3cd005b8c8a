"""The investable universe of the portfolio engine and its model portfolios.

Five symbols are the twin's own (AAPL, MSFT, NVDA, XOM, SPY: the scenarios' reference prices);
the ETFs beside them (bond, international, sector and total-market funds) exist only here, so a
conservative model has bonds to hold and tax-loss harvesting has replacements to buy. Their
reference prices are plausible round numbers, not market data (FAKED: no price feed yet; the
CLI and the generated households price everything at ``reference_price``).

Model portfolio weights are integer basis points (10_000 = 100 %) so a model is exact data;
the optimiser works in float weights (analytics), the trades it yields are whole shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..domain.money import to_units

CASH = "CASH"
"""The pseudo-symbol a model uses for its cash weight."""

BPS = 10_000
"""Basis points in a whole."""


class AssetClass(str, Enum):
    """Broad exposure, for the suitability check's equity share."""

    US_EQUITY = "us_equity"
    INTL_EQUITY = "intl_equity"
    BOND = "bond"

    @property
    def is_equity(self) -> bool:
        """Counts toward the equity share a risk profile caps."""
        return self is not AssetClass.BOND


@dataclass(frozen=True, slots=True)
class Security:
    """One instrument: how it is priced and what a policy may exclude it for."""

    symbol: str
    name: str
    asset_class: AssetClass
    reference_price: int
    """Units (``components.domain.money``)."""
    esg_tags: frozenset[str] = frozenset()
    """Screens an ESG exclusion can name, e.g. ``fossil_fuels``."""
    single_stock: bool = False


def _sec(symbol: str, name: str, asset_class: AssetClass, price: str, *tags: str,
         single_stock: bool = False) -> Security:
    return Security(symbol, name, asset_class, to_units(price), frozenset(tags), single_stock)


_US, _INTL, _BOND = AssetClass.US_EQUITY, AssetClass.INTL_EQUITY, AssetClass.BOND

SECURITIES: dict[str, Security] = {s.symbol: s for s in (
    # the twin's own symbols (scenarios/*.yaml reference prices)
    _sec("SPY", "SPDR S&P 500 ETF", _US, "560.00", "fossil_fuels"),
    _sec("AAPL", "Apple Inc.", _US, "190.00", single_stock=True),
    _sec("MSFT", "Microsoft Corp.", _US, "415.00", single_stock=True),
    _sec("NVDA", "NVIDIA Corp.", _US, "135.00", single_stock=True),
    _sec("XOM", "Exxon Mobil Corp.", _US, "118.00", "fossil_fuels", single_stock=True),
    # portfolio-only funds (FAKED reference prices)
    _sec("IVV", "iShares Core S&P 500 ETF", _US, "565.00", "fossil_fuels"),
    _sec("VOO", "Vanguard S&P 500 ETF", _US, "515.00", "fossil_fuels"),
    _sec("VTI", "Vanguard Total Stock Market ETF", _US, "285.00", "fossil_fuels"),
    _sec("ESGU", "iShares ESG Aware MSCI USA ETF", _US, "125.00"),
    _sec("XLK", "Technology Select Sector SPDR", _US, "230.00"),
    _sec("SMH", "VanEck Semiconductor ETF", _US, "250.00"),
    _sec("XLE", "Energy Select Sector SPDR", _US, "90.00", "fossil_fuels"),
    _sec("VEA", "Vanguard FTSE Developed Markets ETF", _INTL, "50.00"),
    _sec("IEFA", "iShares Core MSCI EAFE ETF", _INTL, "75.00"),
    _sec("AGG", "iShares Core US Aggregate Bond ETF", _BOND, "98.50"),
    _sec("IUSB", "iShares Core Total USD Bond Market ETF", _BOND, "46.00"),
    _sec("IEF", "iShares 7-10 Year Treasury Bond ETF", _BOND, "94.00"),
    _sec("VGIT", "Vanguard Intermediate-Term Treasury ETF", _BOND, "59.00"),
)}


ESG_ALTERNATIVES: dict[str, str] = {"SPY": "ESGU", "IVV": "ESGU", "VOO": "ESGU", "VTI": "ESGU"}
"""Where a model's weight in a broad fund goes when an IPS screens that fund out (same broad exposure,
screened index); other excluded securities have their weight spread over the rest of the model."""


class RiskLevel(int, Enum):
    """Risk of a profile or a model, ordered: a model is suitable if its level <= the profile's."""

    CONSERVATIVE = 1
    BALANCED = 2
    GROWTH = 3


MAX_EQUITY_BPS: dict[RiskLevel, int] = {
    RiskLevel.CONSERVATIVE: 4_500, RiskLevel.BALANCED: 7_500, RiskLevel.GROWTH: 10_000}
"""Most of a household's value a risk profile may hold in equities (suitability)."""


@dataclass(frozen=True, slots=True)
class ModelPortfolio:
    """A target allocation: (symbol, weight in bps) pairs that sum to 10_000, cash included."""

    model_id: str
    risk: RiskLevel
    weights: tuple[tuple[str, int], ...]

    def __post_init__(self) -> None:
        total = sum(w for _, w in self.weights)
        if total != BPS:
            raise ValueError(f"ModelPortfolio {self.model_id}: weights sum to {total} bps, not {BPS}")
        for symbol, weight in self.weights:
            if symbol != CASH and symbol not in SECURITIES:
                raise ValueError(f"ModelPortfolio {self.model_id}: unknown symbol {symbol!r}")
            if weight <= 0:
                raise ValueError(f"ModelPortfolio {self.model_id}: weight of {symbol} must be > 0")

    def weight(self, symbol: str) -> int:
        """Target bps of ``symbol`` (0 when the model does not hold it)."""
        return dict(self.weights).get(symbol, 0)


MODELS: dict[str, ModelPortfolio] = {m.model_id: m for m in (
    ModelPortfolio("conservative", RiskLevel.CONSERVATIVE, (
        ("AGG", 4_500), ("IEF", 2_000), ("SPY", 2_000), ("VEA", 1_000), (CASH, 500))),
    ModelPortfolio("balanced", RiskLevel.BALANCED, (
        ("SPY", 4_000), ("VEA", 1_500), ("AAPL", 400), ("MSFT", 400),
        ("AGG", 2_500), ("IEF", 1_000), (CASH, 200))),
    ModelPortfolio("growth", RiskLevel.GROWTH, (
        ("SPY", 5_000), ("VEA", 1_500), ("AAPL", 800), ("MSFT", 800), ("NVDA", 700), ("XOM", 300),
        ("AGG", 700), (CASH, 200))),
)}
"""The firm's model portfolios, by id."""


def security(symbol: str) -> Security:
    """The security ``symbol``; KeyError naming it if unknown."""
    try:
        return SECURITIES[symbol]
    except KeyError:
        raise KeyError(f"unknown symbol {symbol!r} (not in components.portfolio.universe)") from None


def reference_prices() -> dict[str, int]:
    """Every security's reference price in units, by symbol (the FAKED price source)."""
    return {s.symbol: s.reference_price for s in SECURITIES.values()}

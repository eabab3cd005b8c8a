"""The portfolio config: how ``scenarios.households`` generates households and how proposals are made.

A small YAML file of its own (``twin portfolio propose --config FILE``), typed, frozen and
validated by the one config walker like a scenario: an unknown key or a bad value is one
``ScenarioError`` naming the line, the field and the problem. Every field has a default, so an
empty file (or no file) is the default population.

```yaml
households: 20
as_of: "2026-11-24"
household_value_min: "100000"
household_value_max: "3000000"
ira_fraction: 0.7
min_trade: "500"
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Iterator

from components.config.schema import DOCUMENT, Money, Range, ScenarioError
from components.config.walker import build
from components.config.yaml_reader import read_yaml

Fraction = Annotated[float, Range(ge=0.0, le=1.0)]
Amount = Annotated[Money, Range(ge=0)]
"""A dollar amount >= 0 (integer units)."""
Positive = Annotated[Money, Range(gt=0)]


@dataclass(frozen=True, slots=True)
class PortfolioConfig:
    """Household generation and proposal settings."""

    households: Annotated[int, Range(ge=1, le=100_000)] = 20
    """Households generated. Default 20."""
    as_of: date = date(2026, 11, 24)
    """The proposal date (tax lots are dated before it). Default 2026-11-24, the scenarios' session date."""
    household_value_min: Positive = 1_000_000_000
    """Smallest household value, dollars. Default 100,000."""
    household_value_max: Positive = 30_000_000_000
    """Largest household value, dollars (log-uniform between the two). Default 3,000,000."""
    ira_fraction: Fraction = 0.7
    """Share of households with a traditional IRA beside the taxable account. Default 0.7."""
    roth_fraction: Fraction = 0.3
    """Share of households with a Roth IRA too. Default 0.3."""
    max_lots: Annotated[int, Range(ge=1, le=20)] = 4
    """Most lots per position (bought on different dates at different prices). Default 4."""
    restricted_fraction: Fraction = 0.15
    """Share of households with a restricted security (one held single stock). Default 0.15."""
    esg_fraction: Fraction = 0.15
    """Share of households excluding fossil fuels. Default 0.15."""
    mismatch_fraction: Fraction = 0.1
    """Share of households whose IPS names a model riskier than their profile (suitability must refuse
    their proposals). Default 0.1."""
    recent_buy_fraction: Fraction = 0.2
    """Share of households that bought something in the last 30 days (wash-sale exposure). Default 0.2."""
    min_trade: Amount = 5_000_000
    """Smallest trade kept, dollars. Default 500."""
    harvest_min_loss: Amount = 10_000_000
    """Least loss per (account, symbol) worth harvesting, dollars. Default 1,000."""
    harvest_min_loss_bps: Annotated[int, Range(ge=0, le=10_000)] = 1_000
    """Least loss per lot as a share of its basis, bps. Default 1,000 (10 %)."""
    tax_aversion: Annotated[float, Range(ge=0.0, le=1_000.0)] = 1.0
    """Weight of estimated tax against tracking error in the optimiser. Default 1."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.household_value_max < self.household_value_min:
            yield "household_value_max", "must be >= household_value_min"


def parse_portfolio_config(text: str, source: str = "<string>") -> PortfolioConfig:
    """Parse portfolio config YAML; ``source`` names it in error messages."""
    return build(PortfolioConfig, read_yaml(text, source, ScenarioError))


def load_portfolio_config(path: str | Path) -> PortfolioConfig:
    """Read and parse a portfolio config file; ScenarioError (``<path>:<line>: <field>: <problem>``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), 1, DOCUMENT, f"not UTF-8 text: {exc.reason}") from None
    return parse_portfolio_config(text, str(path))

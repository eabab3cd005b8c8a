"""The ``money`` section of a scenario: money movement and labelled laundering typologies.

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports it): a bad value is one ``ScenarioError`` naming the line and the
dotted field, e.g. ``aml_day.yaml:30: money.days: must be >= 1, got 0``.
Absent (the default), a scenario has no money movement and runs exactly as
before. ``scenarios.money_flow`` generates the transfers and their labels;
``twin.money_movement`` sends them through the transfer desk. docs/aml_money_flow.md
documents every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Iterator

from components.aml.transfers import Typology
from components.config.schema import MONEY, Pattern, Range
from components.domain.money import to_units

Episodes = Annotated[int, Range(ge=0, le=1_000)]


@dataclass(frozen=True, slots=True)
class TypologyCounts:
    """Labelled episodes per laundering typology over the money-flow window. Default: all 0 (none)."""

    fan_in: Episodes = 0
    """Many sources pay one collector account within hours. Default 0."""
    fan_out: Episodes = 0
    """One account pays many targets within hours. Default 0."""
    cycle: Episodes = 0
    """Funds go round a ring of the firm's accounts back to where they started. Default 0."""
    scatter_gather: Episodes = 0
    """One account pays several mules, each of which pays one final account. Default 0."""
    gather_scatter: Episodes = 0
    """Several sources pay one hub, which then pays several targets. Default 0."""
    velocity: Episodes = 0
    """A deposit passes through a chain of accounts within minutes per hop and leaves the firm. Default 0."""
    structuring: Episodes = 0
    """Cash deposits just below the reporting threshold, spread over days and accounts. Default 0."""
    shared_beneficiary: Episodes = 0
    """Several unrelated accounts pay one outside beneficiary. Default 0."""
    geo_device_shift: Episodes = 0
    """An established account suddenly instructs from a new country and a new device. Default 0."""

    def count(self, typology: Typology) -> int:
        """Episodes of ``typology``."""
        return int(getattr(self, typology.value))

    @property
    def total(self) -> int:
        return sum(self.count(t) for t in Typology)


@dataclass(frozen=True, slots=True)
class MoneyFlowConfig:
    """Ordinary money movement of every client, plus bad actors' labelled typologies."""

    days: Annotated[int, Range(ge=1, le=60)] = 3
    """Length of the money-flow window in days, from the session open. Default 3."""
    transfers_per_client_day: Annotated[float, Range(ge=0.0, le=50.0)] = 0.6
    """Mean ordinary transfers (bills, external and internal transfers, deposits) per client per day,
    besides payroll. Default 0.6."""
    typologies: TypologyCounts = field(default_factory=TypologyCounts)
    """Labelled episodes per typology. Default none."""
    fan_width: Annotated[int, Range(ge=3, le=50)] = 5
    """Least number of counterparties of a fan, scatter or gather (an episode draws this up to twice it).
    Default 5."""
    ctr_threshold: Annotated[int, MONEY, Range(gt=0, le=to_units("1000000"))] = to_units("10000")
    """The cash reporting threshold structuring stays under (the US CTR: $10,000). Default "10000"."""
    sanctioned_beneficiary_attempts: Annotated[int, Range(ge=0, le=1_000)] = 0
    """External transfers ordinary clients attempt to a sanctioned (listed or slightly misspelt) name;
    the transfer desk must block every one. Default 0."""
    stream: Annotated[str, Pattern(r"[a-z][a-z0-9-]{0,39}", "a stream name of lower-case letters, digits, '-'")] = (
        "money-flow")
    """The seeded stream (``SeededStreams``) the flow draws from. Default "money-flow"."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.typologies.structuring and self.days < 2:
            yield "days", "structuring spreads deposits over days: needs days >= 2"

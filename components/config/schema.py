"""The config schema language: the checks a type hint may carry, and the errors a config raises.

The shape of a config is declared once, as frozen dataclasses with type hints
(``components.config.session``, ``market``, ``risk`` ... ``live``, and the
twin-only sections in ``scenarios.config``). ``components.config.walker``
walks a parsed file (YAML through ``yaml_reader``, TOML through
``toml_reader``) against those hints and builds the dataclasses, or raises
exactly one :class:`ConfigError` naming the 1-based line, the dotted field and
the problem: ``"{source}:{line}: {field}: {problem}"``.

Supported hints:

* ``str``, ``int``, ``float``, ``bool``, ``datetime.date`` (``"2026-11-24"``),
  ``datetime.time`` (``"09:30"``);
* ``Money`` (``Annotated[int, MONEY]``): a decimal dollar amount (``"0.0030"``,
  ``0.0030`` or ``50000``) stored as integer units, read from its exact
  spelling, never through a binary float;
* ``tuple[T, ...]`` from a list; a nested frozen dataclass from a mapping,
  overlaid on the field's default when given only in part (so
  ``services: {gateway: {median_ms: 5}}`` keeps gateway's default p99);
* ``T | None`` (an optional section, default None): a YAML null or empty
  value gives None, anything else is parsed as ``T``;
* ``Annotated[T, *checks]`` with :class:`Range`, :class:`NonEmpty`,
  :class:`Unique` and :class:`Pattern` checks.

A dataclass may define ``_problems(self) -> Iterable[tuple[str, str]]`` for
cross-field rules; it yields (relative dotted path, problem) and the walker
turns the first one into an error located at that field's line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

# --------------------------------------------------------------------------- errors


class ConfigError(ValueError):
    """One problem in a config file: where it is (source, 1-based line, dotted field) and what is wrong."""

    def __init__(self, source: str, line: int, field: str, problem: str) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.problem = problem
        super().__init__(f"{source}:{line}: {field}: {problem}")

    def __reduce__(self):  # picklable across process pools, as the same subclass
        return (type(self), (self.source, self.line, self.field, self.problem))


class ScenarioError(ConfigError):
    """A problem in a scenario file (what ``load_scenario`` / ``parse_scenario`` raise)."""


class LiveConfigError(ConfigError):
    """A problem in a live config (what ``load_live_config`` / ``parse_live_config`` raise)."""


DOCUMENT = "<document>"
"""The ``field`` of errors about the file as a whole (syntax, empty, not a mapping)."""

# --------------------------------------------------------------------------- checks


@dataclass(frozen=True, slots=True)
class _MoneyTag:
    """Marker: the int is money in units, written as a decimal dollar amount."""


MONEY = _MoneyTag()
Money = Annotated[int, MONEY]
"""Integer units (1 dollar = 10_000); a decimal string or number in the file."""


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive (ge/le) or exclusive (gt/lt) bounds; money bounds are in units."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def problem(self, value: Any, money: bool) -> str | None:
        """What is wrong with ``value``, or None when it is within bounds."""
        show = (lambda v: show_money(int(v))) if money else repr
        if self.ge is not None and value < self.ge:
            return f"must be >= {show(self.ge)}, got {show(value)}"
        if self.gt is not None and value <= self.gt:
            return f"must be > {show(self.gt)}, got {show(value)}"
        if self.le is not None and value > self.le:
            return f"must be <= {show(self.le)}, got {show(value)}"
        if self.lt is not None and value >= self.lt:
            return f"must be < {show(self.lt)}, got {show(value)}"
        return None


@dataclass(frozen=True, slots=True)
class NonEmpty:
    """The list must have at least one item."""

    what: str = "item"


@dataclass(frozen=True, slots=True)
class Unique:
    """Items of a list of dataclasses must differ in ``attr``."""

    attr: str


@dataclass(frozen=True, slots=True)
class Pattern:
    """A string must fully match ``regex``; ``hint`` says what that means to a person."""

    regex: str
    hint: str


def show_money(units: int) -> str:
    """Money units as the quoted decimal a person would write in the file."""
    return f'"{Decimal(units) / 10_000:f}"'


# --------------------------------------------------------------------------- defaults


def has_default(f: dataclasses.Field) -> bool:
    """True when a dataclass field may be left out (it has a default or a factory)."""
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def default_of(f: dataclasses.Field) -> Any:
    """A field's default value (a fresh one for a factory); None when it has none."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None

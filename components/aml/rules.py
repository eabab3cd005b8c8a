"""Deterministic AML rules: named, versioned, parameterised checks of one account's recent transfers.

Each rule is a small frozen dataclass (its fields are its parameters, with the
defaults documented where declared) with a ``name``, a ``version`` and a
``check(view)`` that returns a :class:`~components.aml.findings.Finding` (the
parameters in force and the evidence transfer ids) or None. The monitor
(``monitor``) builds the :class:`AccountView` of each account it evaluates.

- ``velocity``: money passes through the account: in and out within a short
  window, similar totals, several transfers.
- ``structuring``: several cash deposits/withdrawals just below the $10,000
  currency-transaction-report threshold within days.
- ``large_cash``: one cash movement at or above the reporting threshold (a
  weak signal on its own: a report is due, not a suspicion).
- ``geo_device_shift``: an established account suddenly instructs transfers
  from a country or device never seen for it, moving real money.
Amounts are integer units (``components.domain.money``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Protocol

from components.domain.money import PRICE_SCALE

from .findings import CASH_KINDS, Finding, Source, params_of
from .transfers import Transfer, Typology

HOUR_NS = 3_600 * 1_000_000_000
DAY_NS = 24 * HOUR_NS
REPORTING_THRESHOLD = 10_000 * PRICE_SCALE
"""The $10,000 currency transaction report threshold (31 CFR 1010.311), in units."""


@dataclass(frozen=True, slots=True)
class AccountView:
    """What a rule sees of one account at ``now_ns``.

    ``transfers``: the account's transfers (either end) within the monitor's
    window, oldest first; ``evicted``: how many older ones it had.
    ``country_first`` / ``device_first``: when each origin (country, device)
    was first seen on any of its transfers (its profile as it grew).
    """

    account: str
    now_ns: int
    transfers: tuple[Transfer, ...]
    country_first: Mapping[str, int] = field(default_factory=dict)
    device_first: Mapping[str, int] = field(default_factory=dict)
    evicted: int = 0
    recent_ns: int = DAY_NS

    def count_before(self, ts_ns: int) -> int:
        """Transfers the account had before ``ts_ns``."""
        return self.evicted + sum(1 for t in self.transfers if t.ts_ns < ts_ns)


class Rule(Protocol):
    name: str
    version: str

    def check(self, view: AccountView) -> Finding | None: ...


def _recent(view: AccountView, window_ns: int) -> list[Transfer]:
    lo = view.now_ns - window_ns
    return [t for t in view.transfers if t.ts_ns >= lo]


def _finding(rule, view: AccountView, typology: Typology | None, severity: float, hits: list[Transfer],
             others: set[str] | None = None) -> Finding:
    return Finding(f"rule:{rule.name}", Source.RULE, rule.version, view.account, view.now_ns, typology, severity,
                   params_of(rule), tuple(sorted(t.transfer_id for t in hits)), tuple(sorted(others or ())))


@dataclass(frozen=True, slots=True)
class VelocityRule:
    """Pass-through: in and out of the account within ``window_ns``, totals within ``ratio`` of each other."""

    window_ns: int = 2 * DAY_NS
    min_transfers: int = 4
    """In plus out, within the window."""
    min_amount: int = 15_000 * PRICE_SCALE
    """The smaller of total in and total out must reach this."""
    min_ratio: float = 0.8
    """min(in, out) / max(in, out): how much of what came in went out again."""
    name: str = "velocity"
    version: str = "1.0"

    def check(self, view: AccountView) -> Finding | None:
        recent = _recent(view, self.window_ns)
        ins = [t for t in recent if t.target == view.account]
        outs = [t for t in recent if t.source == view.account]
        if not ins or not outs or len(ins) + len(outs) < self.min_transfers:
            return None
        total_in, total_out = sum(t.amount for t in ins), sum(t.amount for t in outs)
        low, high = min(total_in, total_out), max(total_in, total_out)
        if low < self.min_amount or low < self.min_ratio * high:
            return None
        # Only outflows after the first inflow are a pass-through.
        first_in = ins[0].ts_ns
        if not any(t.ts_ns >= first_in for t in outs):
            return None
        others = {t.source for t in ins} | {t.target for t in outs}
        return _finding(self, view, Typology.VELOCITY, 1.0, ins + outs, others)


@dataclass(frozen=True, slots=True)
class StructuringRule:
    """``min_count`` cash movements in [threshold - band, threshold) within ``window_ns``."""

    threshold: int = REPORTING_THRESHOLD
    band: int = 2_000 * PRICE_SCALE
    """How far below the threshold still counts as "just below" ($8,000.00 to $9,999.9999 by default)."""
    min_count: int = 2
    window_ns: int = 7 * DAY_NS
    name: str = "structuring"
    version: str = "1.0"

    def check(self, view: AccountView) -> Finding | None:
        lo = self.threshold - self.band
        hits = [t for t in _recent(view, self.window_ns)
                if t.kind in CASH_KINDS and lo <= t.amount < self.threshold]
        if len(hits) < self.min_count:
            return None
        return _finding(self, view, Typology.STRUCTURING, 1.0, hits)


@dataclass(frozen=True, slots=True)
class LargeCashRule:
    """One cash movement at or above ``threshold`` within ``window_ns``: weak (``severity``) on its own."""

    threshold: int = REPORTING_THRESHOLD
    window_ns: int = DAY_NS
    severity: float = 0.3
    name: str = "large_cash"
    version: str = "1.0"

    def check(self, view: AccountView) -> Finding | None:
        hits = [t for t in _recent(view, self.window_ns) if t.kind in CASH_KINDS and t.amount >= self.threshold]
        return _finding(self, view, None, self.severity, hits) if hits else None


@dataclass(frozen=True, slots=True)
class GeoDeviceShiftRule:
    """An account instructs ``min_amount`` out from a country and a device it never used before.

    A transfer's origin is new when it was first seen within ``recent_ns``
    and the account already had another origin of that kind before it (a
    profile to shift from) and ``min_history`` earlier transfers. A dormant
    account, or one whose history has no device or country (only cash and
    payroll so far), is not judged (measured: judging first activity from
    abroad, or any device against an empty profile, raised false alarms on
    ordinary clients' first large transfers). With ``require_both``
    (default) only a new country *and* a new device on the same transfer
    count (a new phone or a holiday alone is ordinary).
    """

    min_history: int = 1
    min_amount: int = 5_000 * PRICE_SCALE
    require_both: bool = True
    min_repeats: int = 2
    """Transfers from the same new origin (country, device): a takeover keeps using it; a one-off login abroad
    on a new phone does not."""
    name: str = "geo_device_shift"
    version: str = "1.2"

    @staticmethod
    def _novel(value: str, first: Mapping[str, int], since: int) -> int | None:
        """When ``value`` was first seen, if that is after ``since`` and another value was known before it."""
        seen = first.get(value) if value else None
        if seen is None or seen < since:
            return None
        return seen if any(t < seen for v, t in first.items() if v != value) else None

    def check(self, view: AccountView) -> Finding | None:
        since = view.now_ns - view.recent_ns
        hits = []
        for t in _recent(view, view.recent_ns):
            if t.source != view.account:
                continue  # money leaving on an instruction from somewhere new is the risk
            country = self._novel(t.country, view.country_first, since)
            device = self._novel(t.device_id, view.device_first, since)
            novel = [x for x in (country, device) if x is not None]
            if len(novel) < (2 if self.require_both else 1):
                continue
            if view.count_before(min(novel)) >= self.min_history:
                hits.append(t)
        by_origin: dict[tuple[str, str], list[Transfer]] = {}
        for t in hits:
            by_origin.setdefault((t.country, t.device_id), []).append(t)
        hits = [t for group in by_origin.values() if len(group) >= self.min_repeats for t in group]
        if not hits or sum(t.amount for t in hits) < self.min_amount:
            return None
        return _finding(self, view, Typology.GEO_DEVICE_SHIFT, 1.0, hits, {t.target for t in hits})


def default_rules() -> tuple[Rule, ...]:
    """The rule set in force by default (each at its documented defaults)."""
    return (VelocityRule(), StructuringRule(), LargeCashRule(), GeoDeviceShiftRule())


def run_rules(rules: tuple[Rule, ...], view: AccountView) -> list[Finding]:
    """Every rule's finding on ``view``, in rule order."""
    return [f for f in (rule.check(view) for rule in rules) if f is not None]

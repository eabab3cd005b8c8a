"""What a detector found: the shared record of a rule hit or a graph finding.

A :class:`Finding` names its detector (``rule:velocity``, ``graph:cycle``),
the detector's version and the parameter values in force, the account it is
about, the typology it points to, a severity in [0, 1], the evidence (the
transfer ids that made it fire) and the other accounts it links. Rules
(``rules``) and graph checks (``graph``) both return findings, and the risk
score (``scoring``) combines them. Also here: which ends of a transfer are the
firm's accounts, the one rule every detector shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from .transfers import Transfer, TransferKind, Typology


class Source(str, Enum):
    """Which family of detector produced a finding."""

    RULE = "rule"
    GRAPH = "graph"


@dataclass(frozen=True, slots=True)
class Finding:
    """One detector's hit on one account, with its parameters and evidence."""

    detector: str
    """``"<source>:<name>"``, e.g. ``"rule:structuring"``."""
    source: Source
    version: str
    account: str
    ts_ns: int
    """When the detector fired (the time of the latest transfer it saw)."""
    typology: Typology | None
    """The laundering typology this shape points to (None: a plain threshold, no typology)."""
    severity: float
    params: tuple[tuple[str, Any], ...]
    evidence: tuple[str, ...]
    """Transfer ids that made it fire (sorted)."""
    accounts: tuple[str, ...] = ()
    """Other parties the finding links to ``account`` (sorted)."""

    def to_record(self) -> dict[str, Any]:
        return {"detector": self.detector, "source": self.source.value, "version": self.version,
                "account": self.account, "ts_ns": self.ts_ns,
                "typology": self.typology.value if self.typology else None, "severity": round(self.severity, 6),
                "params": dict(self.params), "evidence": list(self.evidence), "accounts": list(self.accounts)}


CASH_KINDS = frozenset({TransferKind.DEPOSIT, TransferKind.WITHDRAWAL})
"""Kinds that move cash across the firm's boundary (what structuring is about)."""


def firm_accounts(t: Transfer) -> tuple[str, ...]:
    """The ends of ``t`` that are the firm's accounts (see ``TransferKind``)."""
    if t.kind is TransferKind.DEPOSIT:
        return (t.target,)
    if t.kind in (TransferKind.WITHDRAWAL, TransferKind.EXTERNAL):
        return (t.source,)
    return (t.source, t.target)


def params_of(obj: Any) -> tuple[tuple[str, Any], ...]:
    """A frozen dataclass's fields as sorted (name, value) pairs (a detector's parameters)."""
    return tuple(sorted((name, getattr(obj, name)) for name in obj.__dataclass_fields__))

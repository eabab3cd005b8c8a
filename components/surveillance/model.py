"""Surveillance vocabulary: patterns, alerts, and who owns which account.

``Linkage`` answers the two questions every detector asks: who is the
beneficial owner behind an account (accounts of one client, plus accounts tied
together by a shared identifier such as a tax id, address or phone, form one
owner group), and which accounts are tied to an advisor (an advisor's personal
or family account declared in the reference data). Advisor links are kept
apart from owner groups on purpose: an advisor manages many clients' accounts,
and treating all of them as one owner would make every two clients of one
advisor "linked".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping


class Pattern(str, Enum):
    """The abusive patterns the detectors look for."""

    SPOOFING = "spoofing"
    WASH_TRADE = "wash_trade"
    MARKING_THE_CLOSE = "marking_the_close"
    FRONT_RUNNING = "front_running"


@dataclass(frozen=True, slots=True)
class Alert:
    """One detector hit, with the evidence an analyst needs to judge it.

    ``party`` is the owner group (``Linkage.owner_of``); ``score`` is the value
    the detector compared with its threshold (so a threshold sweep can re-cut
    alerts raised at a lower floor); ``params`` are the parameter values used.
    """

    pattern: Pattern
    detector: str
    version: str
    party: str
    accounts: tuple[str, ...]
    symbol: str
    at_ns: int
    score: float
    order_ids: tuple[str, ...]
    event_ids: tuple[str, ...]
    params: tuple[tuple[str, Any], ...]
    summary: str = ""

    def to_record(self) -> dict[str, Any]:
        """A plain JSON-able dict."""
        return {"pattern": self.pattern.value, "detector": self.detector, "version": self.version,
                "party": self.party, "accounts": list(self.accounts), "symbol": self.symbol, "at_ns": self.at_ns,
                "score": self.score, "order_ids": list(self.order_ids), "event_ids": list(self.event_ids),
                "params": dict(self.params), "summary": self.summary}


@dataclass(frozen=True, slots=True)
class AccountRef:
    """What surveillance needs to know about one account: its client and advisor."""

    account_id: str
    client_id: str
    advisor_id: str = ""


class Linkage:
    """Owner groups (union of client ids and shared identifiers) and advisor-linked accounts.

    ``shared_identifiers`` are (account_a, account_b) pairs that share an
    identifier; ``advisor_links`` are (advisor_id, account_id) pairs (an
    advisor's own or related account). Unknown accounts are their own owner.
    """

    __slots__ = ("_owner", "_advisor_accounts")

    def __init__(self, accounts: Iterable[AccountRef] = (), shared_identifiers: Iterable[tuple[str, str]] = (),
                 advisor_links: Iterable[tuple[str, str]] = ()) -> None:
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            parent.setdefault(x, x)
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        def union(a: str, b: str) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:  # keep the smaller key as root so owner names do not depend on input order
                lo, hi = sorted((ra, rb))
                parent[hi] = lo

        for ref in accounts:
            union(f"client:{ref.client_id}", f"account:{ref.account_id}")
        for a, b in shared_identifiers:
            union(f"account:{a}", f"account:{b}")
        self._owner = {key[8:]: find(key) for key in list(parent) if key.startswith("account:")}
        advisor_accounts: dict[str, set[str]] = {}
        for advisor, account in advisor_links:
            advisor_accounts.setdefault(advisor, set()).add(account)
        self._advisor_accounts = {k: frozenset(v) for k, v in advisor_accounts.items()}

    def owner_of(self, account_id: str) -> str:
        """The owner group key of an account (``client:CL-0001`` or, unknown, ``account:ID``)."""
        owner = self._owner.get(account_id)
        return owner if owner is not None else f"account:{account_id}"

    def linked(self, a: str, b: str) -> bool:
        """Do two accounts share a beneficial owner?"""
        return self.owner_of(a) == self.owner_of(b)

    def advisor_linked(self, advisor_id: str) -> frozenset[str]:
        """Accounts tied to an advisor personally (empty if none)."""
        return self._advisor_accounts.get(advisor_id, frozenset())

    @classmethod
    def from_records(cls, accounts: Iterable[Mapping[str, str]], shared_identifiers: Iterable[Iterable[str]] = (),
                     advisor_links: Iterable[Iterable[str]] = ()) -> "Linkage":
        """From plain records (``{"account_id", "client_id", "advisor_id"}``) and pairs, as stored in JSON."""
        refs = [AccountRef(r["account_id"], r["client_id"], r.get("advisor_id", "")) for r in accounts]
        pairs = [tuple(p) for p in shared_identifiers]
        links = [tuple(p) for p in advisor_links]
        return cls(refs, pairs, links)  # type: ignore[arg-type]

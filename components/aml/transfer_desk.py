"""The transfer desk: every money movement is screened before it executes, and the decision recorded.

``TransferDesk.submit`` takes one :class:`~components.aml.transfers.Transfer`
instruction and screens every party to it with the ``NameScreener`` (the same
screener and thresholds as onboarding and the risk engine, docs/sanctions.md):

* the holder of each of the firm's accounts the money leaves or reaches
  (both holders of an INTERNAL transfer), by the account's ``client_name``;
* the outside party (a DEPOSIT's depositor, a WITHDRAWAL's or EXTERNAL
  transfer's beneficiary) by the ``beneficiary_name`` the instruction gives;
  cash (no name) has no outside party to screen.

A score at or above the block threshold on any party is a hard block: the
transfer is never executed and nothing overrides it (issue 20, the seed's
rule). A review-level score flags the transfer for a human but it executes.
An instruction naming an account the firm does not hold is rejected. Each
decision is a :class:`TransferDecision` kept in ``decisions`` (append-only,
in submission order) with the screening evidence: every party's score, the
listed name and entity number it matched, the list and the rule.

Pure domain: no clock (the caller gives ``now_ns``), no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from .screening import NameScreener, Outcome, ScreeningHit, ScreeningResult
from .transfers import Transfer, TransferKind


class TransferStatus(str, Enum):
    """What the desk did with an instruction."""

    EXECUTED = "EXECUTED"
    """Every party screened clear."""
    FLAGGED = "FLAGGED"
    """Executed, and flagged for review: some party scored at the review level."""
    BLOCKED = "BLOCKED"
    """Never executed: some party scored at or above the block threshold. No override."""
    REJECTED = "REJECTED"
    """Never executed: the instruction names an account the firm does not hold."""


class PartyRole(str, Enum):
    """Which end of a transfer a screened party is."""

    SOURCE_HOLDER = "source_holder"
    TARGET_HOLDER = "target_holder"
    OUTSIDE_PARTY = "outside_party"


@dataclass(frozen=True, slots=True)
class PartyScreen:
    """One party's screen: who, under which name, and the result (with the matched list entry)."""

    role: PartyRole
    party: str
    """An account id (holders) or the outside party id."""
    result: ScreeningResult

    @property
    def score_bp(self) -> int:
        """The best score in hundredths; 0 when nothing scored at the review level."""
        return 0 if self.result.hit is None else self.result.hit.score_bp


@dataclass(frozen=True, slots=True)
class TransferDecision:
    """The desk's decision on one instruction, with its evidence: an event-like record."""

    decision_id: str
    decided_ns: int
    transfer: Transfer
    status: TransferStatus
    screens: tuple[PartyScreen, ...]
    reason: str = ""
    """Why it was blocked, flagged or rejected (empty when executed clear)."""

    @property
    def executed(self) -> bool:
        return self.status in (TransferStatus.EXECUTED, TransferStatus.FLAGGED)

    @property
    def worst(self) -> PartyScreen | None:
        """The party screen that decided (highest outcome, then highest score; first on ties)."""
        rank = {Outcome.CLEAR: 0, Outcome.REVIEW: 1, Outcome.BLOCK: 2}
        best: PartyScreen | None = None
        for screen in self.screens:
            if best is None or (rank[screen.result.outcome], screen.score_bp) > (rank[best.result.outcome],
                                                                                  best.score_bp):
                best = screen
        return best

    def to_record(self) -> dict[str, Any]:
        """Flat plain values: the transfer's fields, the decision and the deciding screen's evidence
        (``docs/aml_money_flow.md`` lists the columns). Scores are integer hundredths."""
        worst = self.worst
        hit: ScreeningHit | None = None if worst is None else worst.result.hit
        return {**self.transfer.to_record(), "decision_id": self.decision_id, "decided_ns": self.decided_ns,
                "status": self.status.value, "executed": self.executed, "reason": self.reason,
                "screen_outcome": Outcome.CLEAR.value if worst is None else worst.result.outcome.value,
                "screen_role": "" if worst is None else worst.role.value,
                "screen_party": "" if worst is None else worst.party,
                "screen_name": "" if worst is None else worst.result.name,
                "screen_score_bp": 0 if worst is None else worst.score_bp,
                "matched_name": "" if hit is None else hit.listed_name,
                "matched_ent_num": "" if hit is None else hit.ent_num,
                "matched_list": "" if hit is None else hit.list_name,
                "match_rule": "" if hit is None else hit.rule.value,
                "parties_screened": len(self.screens)}


HolderName = Callable[[str], "str | None"]
"""Account id -> its holder's name, or None when the firm holds no such account."""


class TransferDesk:
    """Screens and decides transfer instructions; keeps every decision."""

    def __init__(self, screener: NameScreener, holder_name: HolderName) -> None:
        self._screener = screener
        self._holder_name = holder_name
        self._cache: dict[str, ScreeningResult] = {}  # holders recur: screen each name once
        self.decisions: list[TransferDecision] = []
        """Every decision, in submission order (append-only)."""

    def screen(self, name: str) -> ScreeningResult:
        """One name's screen (cached per name: the list does not change under a desk)."""
        result = self._cache.get(name)
        if result is None:
            result = self._cache[name] = self._screener.screen(name)
        return result

    def submit(self, transfer: Transfer, now_ns: int) -> TransferDecision:
        """Screen ``transfer``'s parties and decide; the decision is appended to ``decisions``."""
        decision_id = f"TD-{len(self.decisions) + 1:07d}"
        screens: list[PartyScreen] = []
        accounts: list[tuple[PartyRole, str]] = []
        outside: str | None = None
        if transfer.kind is TransferKind.DEPOSIT:
            accounts.append((PartyRole.TARGET_HOLDER, transfer.target))
            outside = transfer.source
        elif transfer.kind is TransferKind.INTERNAL:
            accounts += [(PartyRole.SOURCE_HOLDER, transfer.source), (PartyRole.TARGET_HOLDER, transfer.target)]
        else:  # WITHDRAWAL, EXTERNAL
            accounts.append((PartyRole.SOURCE_HOLDER, transfer.source))
            outside = transfer.target
        for role, account_id in accounts:
            holder = self._holder_name(account_id)
            if holder is None:
                return self._record(TransferDecision(decision_id, now_ns, transfer, TransferStatus.REJECTED,
                                                     tuple(screens), f"unknown account {account_id}"))
            screens.append(PartyScreen(role, account_id, self.screen(holder)))
        if outside is not None and transfer.beneficiary_name:
            screens.append(PartyScreen(PartyRole.OUTSIDE_PARTY, outside, self.screen(transfer.beneficiary_name)))
        status, reason = TransferStatus.EXECUTED, ""
        for screen in screens:  # a block anywhere wins over a flag anywhere
            hit = screen.result.hit
            if screen.result.outcome is Outcome.BLOCK and hit is not None:
                status = TransferStatus.BLOCKED
                reason = (f"{screen.role.value} {screen.party} {screen.result.name!r} matched {hit.list_name} "
                          f"{hit.listed_name!r} (ent_num {hit.ent_num or '-'}) score {hit.score}")
                break
            if screen.result.outcome is Outcome.REVIEW and hit is not None and status is TransferStatus.EXECUTED:
                status = TransferStatus.FLAGGED
                reason = (f"{screen.role.value} {screen.party} {screen.result.name!r} resembles {hit.list_name} "
                          f"{hit.listed_name!r} score {hit.score}: review")
        return self._record(TransferDecision(decision_id, now_ns, transfer, status, tuple(screens), reason))

    def _record(self, decision: TransferDecision) -> TransferDecision:
        self.decisions.append(decision)
        return decision

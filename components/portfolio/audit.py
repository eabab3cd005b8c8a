"""The proposal audit log: who was offered, saw, accepted or rejected which proposal, and when.

Append-only: a record once written is never changed or removed, and :meth:`ProposalAuditLog.record`
refuses an action the proposal's history does not allow (a decision on a proposal never offered,
a second decision, a decision on a withheld proposal). Time is the caller's (``at_ns``, business
time from the clock port); actors are ids (an advisor, a client, the engine itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class AuditAction(str, Enum):
    """What happened to a proposal."""

    OFFERED = "offered"
    """The engine produced it and it passed suitability."""
    WITHHELD = "withheld"
    """The engine produced it and suitability failed: never shown as a recommendation."""
    SEEN = "seen"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


_DECISIONS = (AuditAction.ACCEPTED, AuditAction.REJECTED)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the log."""

    seq: int
    proposal_id: str
    action: AuditAction
    actor: str
    at_ns: int
    note: str = ""


class AuditRefused(ValueError):
    """An action the proposal's history does not allow; the message names the proposal and why."""


class ProposalAuditLog:
    """Append-only log of proposal events, in the order recorded."""

    __slots__ = ("_records",)

    def __init__(self) -> None:
        self._records: list[AuditRecord] = []

    def record(self, proposal_id: str, action: AuditAction, actor: str, at_ns: int, note: str = "") -> AuditRecord:
        """Append one event and return it; AuditRefused if the history does not allow it."""
        if not actor:
            raise AuditRefused(f"proposal {proposal_id}: actor must be named")
        history = self.history(proposal_id)
        if history and at_ns < history[-1].at_ns:
            raise AuditRefused(f"proposal {proposal_id}: at_ns {at_ns} is before the last record ({history[-1].at_ns})")
        first = history[0].action if history else None
        if action in (AuditAction.OFFERED, AuditAction.WITHHELD):
            if history:
                raise AuditRefused(f"proposal {proposal_id}: already {first.value}")
        elif first is None:
            raise AuditRefused(f"proposal {proposal_id}: never offered")
        elif first is AuditAction.WITHHELD:
            raise AuditRefused(f"proposal {proposal_id}: withheld as unsuitable, cannot be {action.value}")
        elif action in _DECISIONS and any(r.action in _DECISIONS for r in history):
            decided = next(r for r in history if r.action in _DECISIONS)
            raise AuditRefused(f"proposal {proposal_id}: already {decided.action.value} by {decided.actor}")
        rec = AuditRecord(len(self._records) + 1, proposal_id, action, actor, at_ns, note)
        self._records.append(rec)
        return rec

    def records(self) -> tuple[AuditRecord, ...]:
        """Every record, in order."""
        return tuple(self._records)

    def history(self, proposal_id: str) -> tuple[AuditRecord, ...]:
        """The records of one proposal, in order."""
        return tuple(r for r in self._records if r.proposal_id == proposal_id)

    def status(self, proposal_id: str) -> AuditAction | None:
        """The proposal's decision if any, else its latest action (None if unknown)."""
        history = self.history(proposal_id)
        decided = [r.action for r in history if r.action in _DECISIONS]
        if decided:
            return decided[0]
        return history[-1].action if history else None

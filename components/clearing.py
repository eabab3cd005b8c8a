"""Clearing and settlement: the ``ClearingAdapter`` port and its in-memory implementation.

A confirmed trade becomes a ``SettlementInstruction`` due on its settlement
date (T+N business days, from an injected settlement-date function). Each
settlement run attempts everything due; a fail (from an injected fail model)
is retried on the next business day, up to ``max_retries`` times, after which
the outcome is ``BUY_IN_REQUIRED``. Every answer is a frozen
``SettlementOutcome`` with a reason code: data, never an exception.

The in-memory adapter serves tests and the twin; a live adapter (a clearing
firm's API or files) would live under ``live/adapters/``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, Callable, Protocol

from .confirmations import FIRM, ClientConfirmation
from .domain.orders import Side


class SettlementStatus(str, Enum):
    PENDING = "PENDING"  # accepted, waiting for its settlement date
    SETTLED = "SETTLED"
    FAILED = "FAILED"  # failed this attempt; retried next business day
    BUY_IN_REQUIRED = "BUY_IN_REQUIRED"  # failed after every retry: terminal
    DUPLICATE = "DUPLICATE"  # identical resubmission, ignored (at-least-once delivery)
    REJECTED = "REJECTED"  # refused at submission


# Reason codes.
FAIL_TO_DELIVER = "FAIL_TO_DELIVER"  # securities not delivered on a sale
FAIL_TO_RECEIVE = "FAIL_TO_RECEIVE"  # securities not received on a purchase
DUPLICATE_INSTRUCTION = "DUPLICATE_INSTRUCTION"
CONFLICTING_INSTRUCTION = "CONFLICTING_INSTRUCTION"
SETTLEMENT_DATE_MISMATCH = "SETTLEMENT_DATE_MISMATCH"


@dataclass(frozen=True, slots=True)
class SettlementInstruction:
    """One account's side of a confirmed trade, to settle on ``settlement_date``."""

    instruction_id: str
    confirmation_id: str
    account_id: str
    symbol: str
    side: Side
    quantity: int
    cash: int
    """Net amount in units (>= 0): paid by the account on a buy, received on a sell."""
    trade_date: date
    settlement_date: date
    counterparty: str
    """The clearing broker the instruction settles through."""

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError(f"SettlementInstruction.quantity must be > 0, got {self.quantity}")
        if self.cash < 0:
            raise ValueError(f"SettlementInstruction.cash must be >= 0, got {self.cash}")


def instruction_for(conf: ClientConfirmation, firm: str = FIRM) -> SettlementInstruction:
    """The settlement instruction for a client confirmation (id derived from the confirmation's)."""
    counterparty = (conf.clearing.clearing_broker if conf.clearing else "") or firm
    return SettlementInstruction(f"{conf.confirmation_id}/SI", conf.confirmation_id, conf.account_id, conf.symbol,
                                 conf.side, conf.quantity, conf.net, conf.trade_date, conf.settlement_date,
                                 counterparty)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SettlementOutcome:
    """One fact about an instruction: accepted, settled, failed, buy-in, refused."""

    instruction_id: str
    status: SettlementStatus
    business_day: date
    """The settlement date (submission) or the day of the attempt (runs)."""
    attempt: int = 0
    """Settlement attempts made so far (0 at submission)."""
    reason_code: str = ""
    next_attempt: date | None = None
    recorded_ns: int = 0
    params: tuple[tuple[str, Any], ...] = ()

    def to_record(self) -> dict[str, Any]:
        return {
            "instruction_id": self.instruction_id, "status": self.status.value,
            "business_day": self.business_day.isoformat(), "attempt": self.attempt,
            "reason_code": self.reason_code,
            "next_attempt": None if self.next_attempt is None else self.next_attempt.isoformat(),
            "recorded_ns": self.recorded_ns, "params": dict(self.params),
        }  # fmt: skip


FailModel = Callable[[SettlementInstruction, date, int], str | None]
"""``(instruction, day, attempt) -> reason code`` if this attempt fails, else None."""


def never_fail(instruction: SettlementInstruction, day: date, attempt: int) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class SeededFailModel:
    """Each attempt fails with ``probability``, decided by a hash of (seed, instruction, attempt).

    Hash-derived rather than a sequential stream, so one instruction's draws
    never depend on which others exist or in what order they are attempted.
    """

    probability: float
    seed: int

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"SeededFailModel.probability must be within [0, 1], got {self.probability}")

    def __call__(self, instruction: SettlementInstruction, day: date, attempt: int) -> str | None:
        key = f"{self.seed}|{instruction.instruction_id}|{attempt}".encode()
        draw = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
        if draw < int(self.probability * 2**64):
            return FAIL_TO_DELIVER if instruction.side is Side.SELL else FAIL_TO_RECEIVE
        return None


class ClearingAdapter(Protocol):
    """Settles instructions through a clearing firm."""

    def submit(self, instruction: SettlementInstruction, now_ns: int) -> SettlementOutcome:
        """Accept (PENDING), ignore a duplicate (DUPLICATE) or refuse (REJECTED)."""

    def run_settlement(self, day: date, now_ns: int) -> tuple[SettlementOutcome, ...]:
        """Attempt everything due on or before ``day``; one outcome per attempt."""

    def status(self, instruction_id: str) -> SettlementStatus | None:
        """Latest status, None if never accepted."""

    def history(self, instruction_id: str) -> tuple[SettlementOutcome, ...]:
        """Every outcome recorded for the instruction, oldest first."""

    def open_instructions(self) -> tuple[str, ...]:
        """Ids still waiting to settle (PENDING or FAILED), sorted."""


@dataclass(slots=True)
class _Entry:
    instruction: SettlementInstruction
    due: date
    attempts: int
    status: SettlementStatus
    history: list[SettlementOutcome]


class InMemoryClearing:
    """``ClearingAdapter`` in memory: T+N settlement, injectable fails, retries, buy-in flag.

    ``max_retries`` K means at most K + 1 attempts: the settlement date and K
    following business days. K = 0 flags a buy-in on the first fail.
    """

    def __init__(self, settlement_date_for: Callable[[date], date], next_business_day: Callable[[date], date],
                 fail_model: FailModel = never_fail, max_retries: int = 3):  # fmt: skip
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries}")
        self._settlement_date_for = settlement_date_for
        self._next_business_day = next_business_day
        self._fail_model = fail_model
        self._max_retries = max_retries
        self._entries: dict[str, _Entry] = {}

    def submit(self, instruction: SettlementInstruction, now_ns: int) -> SettlementOutcome:
        iid = instruction.instruction_id
        known = self._entries.get(iid)
        if known is not None:
            if known.instruction == instruction:
                return SettlementOutcome(iid, SettlementStatus.DUPLICATE, instruction.settlement_date,
                                         known.attempts, DUPLICATE_INSTRUCTION, recorded_ns=now_ns)  # fmt: skip
            return SettlementOutcome(iid, SettlementStatus.REJECTED, instruction.settlement_date, known.attempts,
                                     CONFLICTING_INSTRUCTION, recorded_ns=now_ns)  # fmt: skip
        expected = self._settlement_date_for(instruction.trade_date)
        if instruction.settlement_date != expected:
            return SettlementOutcome(iid, SettlementStatus.REJECTED, instruction.settlement_date, 0,
                                     SETTLEMENT_DATE_MISMATCH, recorded_ns=now_ns,
                                     params=(("expected", expected.isoformat()),
                                             ("got", instruction.settlement_date.isoformat())))  # fmt: skip
        outcome = SettlementOutcome(iid, SettlementStatus.PENDING, expected, 0, recorded_ns=now_ns)
        self._entries[iid] = _Entry(instruction, expected, 0, SettlementStatus.PENDING, [outcome])
        return outcome

    def run_settlement(self, day: date, now_ns: int) -> tuple[SettlementOutcome, ...]:
        due = sorted(
            (e for e in self._entries.values()
             if e.status in (SettlementStatus.PENDING, SettlementStatus.FAILED) and e.due <= day),
            key=lambda e: (e.due, e.instruction.instruction_id),
        )  # fmt: skip
        outcomes = []
        for entry in due:
            entry.attempts += 1
            iid = entry.instruction.instruction_id
            reason = self._fail_model(entry.instruction, day, entry.attempts)
            params = (("attempt", entry.attempts), ("max_retries", self._max_retries),
                      ("settlement_date", entry.instruction.settlement_date.isoformat()))  # fmt: skip
            if reason is None:
                outcome = SettlementOutcome(iid, SettlementStatus.SETTLED, day, entry.attempts,
                                            recorded_ns=now_ns, params=params)  # fmt: skip
            elif entry.attempts <= self._max_retries:
                entry.due = self._next_business_day(day)
                outcome = SettlementOutcome(iid, SettlementStatus.FAILED, day, entry.attempts, reason, entry.due,
                                            now_ns, params)  # fmt: skip
            else:
                outcome = SettlementOutcome(iid, SettlementStatus.BUY_IN_REQUIRED, day, entry.attempts, reason,
                                            None, now_ns, params)  # fmt: skip
            entry.status = outcome.status
            entry.history.append(outcome)
            outcomes.append(outcome)
        return tuple(outcomes)

    def status(self, instruction_id: str) -> SettlementStatus | None:
        entry = self._entries.get(instruction_id)
        return None if entry is None else entry.status

    def history(self, instruction_id: str) -> tuple[SettlementOutcome, ...]:
        entry = self._entries.get(instruction_id)
        return () if entry is None else tuple(entry.history)

    def open_instructions(self) -> tuple[str, ...]:
        """Ids still waiting to settle (PENDING or FAILED), sorted."""
        return tuple(sorted(i for i, e in self._entries.items()
                            if e.status in (SettlementStatus.PENDING, SettlementStatus.FAILED)))  # fmt: skip

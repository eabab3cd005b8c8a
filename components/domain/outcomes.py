"""What a handler decided, as data: its outcome and the messages that follow.

Every ``Platform`` handler returns a ``Handled``: the outcome of the message it
was given and the follow-up messages it gives rise to (which the runtime
delivers). A caller learns what became of its command from the outcome, never
by reading counters or state back afterwards.

Commands from outside (a submission, a block, a cancel, the kill switch) have
outcomes that say what was decided: ``Accepted``, ``Replayed``, ``Refused``,
``BlockAccepted``, ``CancelRequested``, ``TradingStateSet``. Internal messages
(validate, risk, route, venue reports, post-trade, the close) answer ``DONE``:
what they decided is in the event log and in their follow-ups.

``NextStep`` is what the OMS says must follow a venue report (or an order no
venue will take): nothing, post-trade, or a reroute.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple, Sequence, Union

from .fast_init import fast_frozen_init


class RefusalReason(Enum):
    """Why a command was refused, machine-readable; ``status`` is the HTTP status a
    gateway answers with (and what the twin's summary counts refusals by)."""

    INVALID = "invalid"  # a field is missing or wrong
    NOT_ENTITLED = "not_entitled"  # the advisor may not trade the account
    CONFLICT = "conflict"  # an idempotency key reused for a different request
    NOT_FOUND = "not_found"  # the command names nothing the platform knows

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS = {
    RefusalReason.INVALID: 422,
    RefusalReason.NOT_ENTITLED: 403,
    RefusalReason.CONFLICT: 409,
    RefusalReason.NOT_FOUND: 404,
}


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Accepted:
    """A submission that opened a new order."""

    order_id: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Replayed:
    """An idempotent retry: the same request as an earlier one, answered with the order it opened."""

    order_id: str


@dataclass(frozen=True, slots=True)
class Refused:
    """A command the platform would not carry out, the fields at fault and the problem in words."""

    reason: RefusalReason
    fields: tuple[str, ...]
    problem: str


@dataclass(frozen=True, slots=True)
class BlockAccepted:
    """A block whose every statement line became (or already was) a member order.

    ``members`` in statement-line order; ``policy`` is the allocation policy
    the block has: the one asked for, or for a retry the one the block was first
    opened with (which a gateway compares with the retry's).
    """

    block_ref: str
    members: tuple[Accepted | Replayed, ...]
    policy: str

    @property
    def order_ids(self) -> tuple[str, ...]:
        return tuple(m.order_id for m in self.members)

    @property
    def replayed(self) -> bool:
        """Every line named an order an earlier submission of this block opened."""
        return all(type(m) is Replayed for m in self.members)


@dataclass(frozen=True, slots=True)
class CancelRequested:
    """A client's cancel taken: the order is canceled at once, or its venues are asked
    (they confirm later)."""

    order_id: str


@dataclass(frozen=True, slots=True)
class TradingStateSet:
    """The kill switch is now ``state``; it was ``previous`` (equal when nothing changed)."""

    state: str
    previous: str

    @property
    def changed(self) -> bool:
        return self.state != self.previous


@dataclass(frozen=True, slots=True)
class Done:
    """An internal message handled: what it decided is in the log and its follow-ups."""


DONE = Done()

HandlerOutcome = Union[Accepted, Replayed, Refused, BlockAccepted, CancelRequested, TradingStateSet, Done]


class Handled(NamedTuple):
    """What a handler returns. A tuple, not a dataclass: one is built per message."""

    outcome: HandlerOutcome
    follow_ups: Sequence[object] = ()


class NextStep(Enum):
    """What must follow a venue report the OMS applied (``Oms.on_execution``)."""

    NOTHING = "nothing"
    POST_TRADE = "post_trade"  # the order is done with fills: allocate, confirm, settle
    REROUTE = "reroute"  # a venue refused a child: route the leaves elsewhere

"""Crash recovery for components: the last snapshot plus a replay of the event log.

A component that lost its in-memory state (a crashed process) gets it back
from two things: its newest ``Snapshot`` (a copy of its state taken between
two messages, with the log length it reflects) and the events appended since.
Each stateful component supplies one ``Part`` (how to copy its state, start
again from a copy, replay one event, and dump the state canonically so a
rebuild can be compared with the live state); ``recover`` is the one piece of
code that restarts any of them.

A few facts never reach the event log (a restricted-list or sanctions-list
change): a part counts such changes in ``unlogged``
and the host snapshots that part before the next message, so a restart never
depends on memory it lost. Parts live beside their components
(``components.rebuild.oms``, ``components.rebuild.risk``,
``components.rebuild.entry``, ``.desk``, ``.post_trade``); no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Protocol

from ..domain.events import OrderEvent
from ..domain.orders import OrderSpec, OrderType, Side, TimeInForce


class ReadableLog(Protocol):
    """The part of the EventLog port a rebuild reads."""

    def read(self, start: int = 0) -> Iterable[OrderEvent]: ...


class Part(Protocol):
    """One component's recovery: snapshot, restart from a snapshot, replay, canonical dump."""

    name: str

    @property
    def unlogged(self) -> int:
        """How many state changes so far are not in the event log (0 if none can be)."""
        ...

    def capture(self) -> Any:
        """A copy of the in-memory state, sharing nothing mutable with it (between two messages)."""
        ...

    def reset(self, state: Any | None) -> None:
        """Lose the in-memory state and start from a copy of ``state`` (None: the opening state)."""
        ...

    def apply(self, event: OrderEvent) -> None:
        """Replay one event into the state (no listeners, no follow-ups)."""
        ...

    def dump(self) -> Any:
        """The state as plain, ordered, comparable data (equal dumps = equal states)."""
        ...


TEST_ONLY_SKIPPED_EVENT_TYPES: set = set()
"""A planted bug for the swarm's own tests (``tests/unit/chaos/test_swarm_planted_bugs.py``): event
types a rebuild silently skips. Always empty; only a test patches it (with ``monkeypatch``), and no
scenario or configuration can reach it. It proves the swarm catches a rebuild that forgets one kind
of event."""


@dataclass(frozen=True)
class Snapshot:
    """A part's state (``Part.capture``) after the first ``offset`` events of the log."""

    offset: int
    state: Any


def snapshot(part: Part, offset: int) -> Snapshot:
    """Copy ``part``'s state; ``offset`` is the log length it reflects (take it between two messages)."""
    return Snapshot(offset, part.capture())


def recover(part: Part, log: ReadableLog, snap: Snapshot | None = None) -> int:
    """Restart ``part`` from ``snap`` (the opening state when None) plus every event after it.

    Returns how many events were replayed.
    """
    part.reset(None if snap is None else snap.state)
    replayed = 0
    apply = part.apply
    events = log.read(0 if snap is None else snap.offset)
    if TEST_ONLY_SKIPPED_EVENT_TYPES:  # the planted bug, tested only; the normal path pays nothing for it
        events = (e for e in events if e.event_type not in TEST_ONLY_SKIPPED_EVENT_TYPES)
    for event in events:
        apply(event)
        replayed += 1
    return replayed


def recover_all(parts: Iterable[Part], log: ReadableLog) -> int:
    """Restart every part from its opening state plus the whole log, read once.

    The same ``reset`` and ``apply`` as ``recover``, for a host with no
    snapshot store (the live start-up): each event goes to the parts in the
    order given, so a part that reads another's state (order entry reads the
    OMS's orders) comes after it. Returns how many events were replayed.
    """
    parts = list(parts)
    for part in parts:
        part.reset(None)
    applies = [part.apply for part in parts]
    replayed = 0
    for event in log.read(0):
        for apply in applies:
            apply(event)
        replayed += 1
    return replayed


def spec_of(event: OrderEvent, client_order_id: str = "") -> OrderSpec:
    """An order's spec from its events' envelope fields (the advisor from an ``advisor:`` actor)."""
    advisor = event.actor.removeprefix("advisor:") if event.actor.startswith("advisor:") else ""
    return OrderSpec(event.account_id, event.symbol, Side(event.side), event.quantity, OrderType(event.order_type),
                     event.limit_price, TimeInForce(event.time_in_force), advisor, client_order_id)  # fmt: skip

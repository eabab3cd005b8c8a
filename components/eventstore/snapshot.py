"""Snapshots of the projections, and recovery = last snapshot + replay of the rest.

A snapshot at offset ``k`` is the projections after events ``0 .. k-1``, so
recovery reads the log from offset ``k``. Snapshots are plain bytes
(``Projections.to_bytes``): they can be kept anywhere, and a recovered
projection is byte-for-byte the one a full replay builds.
"""

from __future__ import annotations

import bisect
from typing import Iterable, Protocol

from components.domain.events import OrderEvent

from .projections import Projections


class ReadableLog(Protocol):
    def read(self, start: int = 0) -> Iterable[OrderEvent]: ...

    def __len__(self) -> int: ...


class SnapshotStore:
    """In-memory snapshots by offset. ``every``: how many events apart ``project`` takes them."""

    def __init__(self, every: int = 10_000):
        if every <= 0:
            raise ValueError("snapshot interval must be positive")
        self.every = every
        self._offsets: list[int] = []
        self._data: dict[int, bytes] = {}

    def save(self, offset: int, data: bytes) -> None:
        if offset not in self._data:
            bisect.insort(self._offsets, offset)
        self._data[offset] = data

    def latest(self, at_or_before: int | None = None) -> tuple[int, bytes] | None:
        """The newest snapshot (not past ``at_or_before``, if given), or None."""
        i = len(self._offsets) if at_or_before is None else bisect.bisect_right(self._offsets, at_or_before)
        if i == 0:
            return None
        offset = self._offsets[i - 1]
        return offset, self._data[offset]

    def offsets(self) -> list[int]:
        return list(self._offsets)

    def __len__(self) -> int:
        return len(self._offsets)


def project(log: ReadableLog, snapshots: SnapshotStore, projections: Projections | None = None) -> Projections:
    """Full replay of ``log``, saving a snapshot every ``snapshots.every`` events."""
    projections = projections or Projections()
    every = snapshots.every
    for event in log.read(projections.events):
        projections.apply(event)
        if projections.events % every == 0:
            snapshots.save(projections.events, projections.to_bytes())
    return projections


def recover(log: ReadableLog, snapshots: SnapshotStore, opening_cash: dict[str, int] | None = None,
            opening_positions: dict[str, dict[str, int]] | None = None) -> Projections:
    """Projections from the newest snapshot plus the events after it (a full replay
    from the opening balances when there is no snapshot)."""
    latest = snapshots.latest(len(log))
    if latest is None:
        projections = Projections(opening_cash, opening_positions)
        start = 0
    else:
        start, data = latest
        projections = Projections.from_bytes(data)
    return projections.apply_all(log.read(start))

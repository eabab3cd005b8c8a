"""An in-memory, hash-chained event store: what ``twin replay-log`` verifies a run log into, and tests use.

The twin's own event log is ``components.memory.InMemoryEventLog`` (no hash per
record while a run is simulated; the run's log file is chained when written).

Keeps the event objects themselves (no copy, no decoding on read) with each
record's parent and hash. ``verify`` re-encodes the held events, so a record
swapped for a different event object is caught like a changed SQLite row.
There is deliberately no API to update or delete a record.
"""

from __future__ import annotations

from itertools import islice
from typing import Iterable, Iterator, NamedTuple

from components.domain.events import OrderEvent

from .chain import GENESIS, VerifyResult, link_hash, verify
from .codec import encode
from .errors import DuplicateEvent


class _Record(NamedTuple):
    event: OrderEvent
    parent_hash: str
    hash: str


class InMemoryEventStore:
    """Append-only list of events, offsets from 0, each linked to the one before."""

    def __init__(self) -> None:
        self._records: list[_Record] = []
        self._ids: set[str] = set()
        self._streams: dict[str, list[int]] = {}  # order_id -> offsets, for per-order queries
        self._head = GENESIS

    # -- EventLog port -------------------------------------------------------
    def append(self, event: OrderEvent) -> int:
        if event.event_id in self._ids:
            raise DuplicateEvent(event.event_id)
        digest = link_hash(self._head, encode(event))
        offset = len(self._records)
        self._records.append(_Record(event, self._head, digest))
        self._ids.add(event.event_id)
        self._streams.setdefault(event.order_id, []).append(offset)
        self._head = digest
        return offset

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        return (r.event for r in islice(self._records, max(0, start), None))

    def __len__(self) -> int:
        return len(self._records)

    # -- beyond the port ---------------------------------------------------
    def append_batch(self, events: Iterable[OrderEvent], batch_size: int | None = None) -> range:
        """Append in order, all or nothing (like one SQLite transaction); returns the
        offsets used. ``batch_size`` is accepted for call compatibility and ignored."""
        events = list(events)
        seen: set[str] = set()
        for event in events:  # refuse before storing anything
            if event.event_id in self._ids or event.event_id in seen:
                raise DuplicateEvent(event.event_id)
            seen.add(event.event_id)
        start = len(self._records)
        for event in events:
            self.append(event)
        return range(start, len(self._records))

    @property
    def head_hash(self) -> str:
        return self._head

    def verify(self, expected_head: str | None = None) -> VerifyResult:
        records = ((i, encode(r.event), r.parent_hash, r.hash) for i, r in enumerate(self._records))
        return verify(records, expected_head)

    def read_as_of(self, system_time_ns: int, business_time_ns: int | None = None,
                   stream: str | None = None) -> Iterator[OrderEvent]:
        """Events recorded at or before ``system_time_ns`` (and, if given, with business
        time at or before ``business_time_ns``; of one order if ``stream``), in offset order."""
        if stream is None:
            candidates: Iterable[OrderEvent] = (r.event for r in self._records)
        else:
            candidates = (self._records[i].event for i in self._streams.get(stream, ()))
        for event in candidates:
            if event.recorded_at <= system_time_ns and (
                    business_time_ns is None or event.timestamp_utc <= business_time_ns):
                yield event

    def close(self) -> None:
        """Nothing to release; here so callers can treat both stores alike."""

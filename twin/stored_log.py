"""The stored copy of a run's event log, hash-chained, for storage faults (``chaos.faults.storage``).

While a run is simulated the twin's event log is ``components.memory.InMemoryEventLog`` (the
objects, no hashes: the fast path). When a scenario corrupts stored events, the world also keeps
this stored copy: each event's canonical bytes (``components.eventstore.codec.encode``) with its
parent hash and hash (``components.eventstore.chain``), chained lazily up to the log's head
whenever it is read, corrupted or audited. ``corrupt`` flips bytes of one stored payload (its
hash is left alone, as a disk would); the copy in memory (a replica, in storage terms) is not
touched.

Reads never use a corrupted record silently:

* ``read`` (what crash recovery replays through when the world has a stored copy) checks every
  record against its hash. A record that fails is *detected* (recorded in ``detections``); its
  event is taken from the in-memory copy if that copy's bytes hash to the stored hash (a
  verified copy) and the stored payload is repaired, or else ``CorruptStoredEvent`` is raised.
* ``audit`` (the end of the run) checks every record and reports each failing offset as
  detected by the audit.

``report`` says what was corrupted and how each corruption was detected; the invariant
``stored_events_verified`` (``twin.invariants``) fails a run in which a corruption went undetected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from components.domain.events import OrderEvent
from components.eventstore.chain import GENESIS, link_hash
from components.eventstore.codec import encode
from components.memory import InMemoryEventLog, SeededStreams


class CorruptStoredEvent(RuntimeError):
    """A stored event failed its hash and no verified copy of it exists."""

    def __init__(self, offset: int):
        self.offset = offset
        super().__init__(f"stored event {offset} fails its hash-chain check and no verified copy exists")


@dataclass(frozen=True, slots=True)
class Detection:
    """One corrupted record found."""

    offset: int
    by: str
    """``recovery`` (a replay read it and took the verified copy) or ``audit`` (the end-of-run check)."""


@dataclass(frozen=True, slots=True)
class StorageReport:
    """What the storage faults did over a run and whether the chain caught them."""

    corrupted: tuple[int, ...]
    """Offsets whose stored bytes were flipped, in the order it happened."""
    detections: tuple[Detection, ...]
    """Every detection, in the order it happened."""

    @property
    def undetected(self) -> tuple[int, ...]:
        """Corrupted offsets no check found."""
        found = {d.offset for d in self.detections}
        return tuple(o for o in self.corrupted if o not in found)


@dataclass
class StoredLog:
    """The chained stored copy of ``log`` (see the module docstring)."""

    log: InMemoryEventLog
    streams: SeededStreams
    _payloads: list[bytes] = field(default_factory=list)
    _hashes: list[str] = field(default_factory=list)
    corrupted: list[int] = field(default_factory=list)
    detections: list[Detection] = field(default_factory=list)

    def sync(self) -> None:
        """Store (encode and chain) every event appended since the last call."""
        payloads, hashes = self._payloads, self._hashes
        head = hashes[-1] if hashes else GENESIS
        for event in self.log.read(len(payloads)):
            payload = encode(event)
            head = link_hash(head, payload)
            payloads.append(payload)
            hashes.append(head)

    def __len__(self) -> int:
        return len(self.log)

    def corrupt(self, position: float, flips: int, stream: str) -> int | None:
        """Flip ``flips`` bytes of the stored event at ``position`` (0..1) of the log now."""
        self.sync()
        if not self._payloads:
            return None
        offset = min(len(self._payloads) - 1, int(position * len(self._payloads)))
        rng = self.streams.stream(stream)
        data = bytearray(self._payloads[offset])
        for at in rng.choice(len(data), size=min(flips, len(data)), replace=False).tolist():
            data[at] ^= int(rng.integers(1, 256))  # never 0: a flip always changes the byte
        self._payloads[offset] = bytes(data)
        self.corrupted.append(offset)
        return offset

    def _parent(self, offset: int) -> str:
        return self._hashes[offset - 1] if offset else GENESIS

    def _intact(self, offset: int) -> bool:
        return link_hash(self._parent(offset), self._payloads[offset]) == self._hashes[offset]

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        """The events from ``start`` as stored, each checked against the chain (see the module
        docstring); ``CorruptStoredEvent`` for a record that fails with no verified copy."""
        self.sync()
        events = self.log.read(max(0, start))
        for offset, event in enumerate(events, max(0, start)):
            if not self._intact(offset):
                self._repair(offset, event)
            # Intact: the stored bytes are this event's canonical bytes, so the in-memory
            # object is what decoding them would give (and cheaper).
            yield event

    def _repair(self, offset: int, event: OrderEvent) -> None:
        self.detections.append(Detection(offset, "recovery"))
        copy = encode(event)
        if link_hash(self._parent(offset), copy) != self._hashes[offset]:
            raise CorruptStoredEvent(offset)
        self._payloads[offset] = copy

    def audit(self) -> list[int]:
        """Check every stored record; each failing offset is a detection by the audit."""
        self.sync()
        bad = [offset for offset in range(len(self._payloads)) if not self._intact(offset)]
        self.detections.extend(Detection(offset, "audit") for offset in bad)
        return bad

    def report(self) -> StorageReport:
        """What was corrupted and what found it (run ``audit`` first to include the end-of-run check)."""
        return StorageReport(tuple(self.corrupted), tuple(self.detections))

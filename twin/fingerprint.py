"""The run fingerprint: SHA-256 of the canonical event log.

Canonical form: each event's ``to_record()`` as JSON with sorted keys and no
whitespace, one per line, in log order. Same scenario + seed => same bytes =>
same fingerprint, in any process on any machine.
"""

from __future__ import annotations

import hashlib
from typing import Iterable

from components.domain.events import OrderEvent
from components.eventstore.codec import encode


def canonical_line(event: OrderEvent) -> bytes:
    """The event's canonical bytes: the same ones the event store hashes and keeps."""
    return encode(event)


def fingerprint(events: Iterable[OrderEvent]) -> str:
    digest = hashlib.sha256()
    for event in events:
        digest.update(canonical_line(event))
        digest.update(b"\n")
    return digest.hexdigest()

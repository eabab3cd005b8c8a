"""The run fingerprint: SHA-256 of the canonical event log.

Canonical form: each event's ``to_record()`` as JSON with sorted keys and no
whitespace, one per line, in log order. Same scenario + seed => same bytes =>
same fingerprint, in any process on any machine.
"""

from __future__ import annotations

import hashlib
import json
from typing import Iterable

from components.domain.events import OrderEvent


def canonical_line(event: OrderEvent) -> bytes:
    return json.dumps(event.to_record(), sort_keys=True, separators=(",", ":")).encode("utf-8")


def fingerprint(events: Iterable[OrderEvent]) -> str:
    digest = hashlib.sha256()
    for event in events:
        digest.update(canonical_line(event))
        digest.update(b"\n")
    return digest.hexdigest()

"""Live ids and randomness: uuid4 ids and OS-entropy random streams.

The twin's ``SequentialIds`` and ``SeededStreams`` make runs reproducible; a
live process wants the opposite: ids that never collide across restarts or
instances, and randomness nobody can predict.
"""

from __future__ import annotations

import os

import numpy as np


def uuid4_hex() -> str:
    """A random (version 4, RFC 4122) uuid as 32 hex digits.

    The same bits as ``uuid.uuid4().hex`` for a third of the cost (the UUID
    object's checks are skipped); every order takes about seven ids.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    return raw.hex()


class UuidIds:
    """The IdSource port: ``PREFIX-<32 hex digits of a uuid4>``."""

    def __init__(self, namespace: str = "") -> None:
        self._namespace = namespace

    def next_id(self, prefix: str) -> str:
        return f"{self._namespace}{prefix}-{uuid4_hex()}"


class EntropyStreams:
    """The RandomSource port on OS entropy: one unseeded generator per name."""

    def __init__(self) -> None:
        self._streams: dict[str, np.random.Generator] = {}

    def stream(self, name: str) -> np.random.Generator:
        rng = self._streams.get(name)
        if rng is None:
            rng = self._streams[name] = np.random.default_rng()
        return rng

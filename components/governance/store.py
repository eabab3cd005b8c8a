"""The ModelStore port (where fitted-model artefacts live) and its in-memory adapter.

The registry keeps metadata; the bytes of a fitted model go through this port. The twin's
directory-backed adapter is ``twin.governance_store.DirectoryModelStore``. An adapter only
stores and returns bytes: checking them against the registered content hash is the
registry's job, so a tampered or corrupted artefact is refused whatever the store.
"""

from __future__ import annotations

import hashlib
import pickle
from typing import Any, Protocol


def content_hash(artefact: bytes) -> str:
    """The content hash recorded for a model version: ``sha256:`` and the hex digest."""
    return "sha256:" + hashlib.sha256(artefact).hexdigest()


def artefact_of(model: Any) -> bytes:
    """A fitted model as bytes (pickle protocol 5): what is stored and hashed.

    Same fitted state and library versions give the same bytes, so the hash identifies the
    model; loading one back is ``pickle.loads`` and must only be done on artefacts whose hash
    the registry has just verified (pickle runs code)."""
    return pickle.dumps(model, protocol=5)


class ModelStore(Protocol):
    """Required methods of a model artefact store."""

    def put(self, model: str, version: str, artefact: bytes) -> None:
        """Store one version's artefact; a second put of the same version is refused (ValueError)."""

    def get(self, model: str, version: str) -> bytes:
        """The stored artefact; KeyError when there is none."""


class InMemoryModelStore:
    """ModelStore in a dict: tests and the in-process twin demo."""

    def __init__(self) -> None:
        self._blobs: dict[tuple[str, str], bytes] = {}

    def put(self, model: str, version: str, artefact: bytes) -> None:
        if (model, version) in self._blobs:
            raise ValueError(f"version: {model} {version} already stored")
        self._blobs[(model, version)] = bytes(artefact)

    def get(self, model: str, version: str) -> bytes:
        return self._blobs[(model, version)]

    def corrupt(self, model: str, version: str, artefact: bytes) -> None:
        """Overwrite a stored artefact (tests: what the registry does with a tampered one)."""
        self._blobs[(model, version)] = artefact

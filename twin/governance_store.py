"""``DirectoryModelStore``: the ModelStore port (``components.governance.store``) on a folder.

One file per version, ``ROOT/<model>/<version>.pkl``, written to a temporary name and renamed
so a crash never leaves half an artefact under the real name. It stores bytes only; the
registry checks them against the registered content hash on every load.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


class DirectoryModelStore:
    """Model artefacts as files under ``root``."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, model: str, version: str) -> Path:
        for field, value in (("model", model), ("version", version)):
            if not _SAFE.match(value) or value in (".", ".."):
                raise ValueError(f"{field}: {value!r} is not a safe file name (letters, digits, _ . -)")
        return self.root / model / f"{version}.pkl"

    def put(self, model: str, version: str, artefact: bytes) -> None:
        path = self._path(model, version)
        if path.exists():
            raise ValueError(f"version: {model} {version} already stored at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(artefact)
        os.replace(tmp, path)

    def get(self, model: str, version: str) -> bytes:
        path = self._path(model, version)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise KeyError(f"{model} {version}: no artefact at {path}") from None

"""Where a command writes when it is given no ``--out``: a folder under ``reports/out`` (relative to the
working directory) named for what ran, so one run's files never mix with another's."""

from __future__ import annotations

from pathlib import Path

OUT_ROOT = Path("reports") / "out"
"""The folder every command's default output folder is in."""


def out_folder(given: str | None, name: str) -> Path:
    """``given`` (a ``--out`` value) as a path, else ``reports/out/NAME``."""
    return Path(given) if given else OUT_ROOT / name

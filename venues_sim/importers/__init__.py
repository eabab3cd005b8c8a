"""Importers: recorded days in the formats people have -> the project's parquet day.

One module per format (``one_sided``, ``nbbo``, ``dbn``, ``lobster``,
``plain_csv``); ``common`` reads and checks files, ``cleaning`` is the shared
crossed/locked/stale policy, ``tables`` the in-memory result, ``day`` writes
the day folder and summarises it.
``import_day`` is the one entry point (used by ``twin market import``).
Formats, columns, policy and errors: ``docs/importers.md``.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from .cleaning import Action, Policy
from .common import Options
from .day import format_summary, read_meta, summarize, write_day

FORMATS: dict[str, tuple[str, str]] = {
    "one-sided": ("one_sided", "import_one_sided"),
    "nbbo": ("nbbo", "import_nbbo"),
    "dbn": ("dbn", "import_dbn"),
    "lobster": ("lobster", "import_lobster"),
    "csv": ("plain_csv", "import_csv"),
}
"""Format name -> (module in this package, its import function ``(paths, Options, Policy) -> (Imported, Counts)``)."""


def import_day(fmt: str, sources: list[str | Path], out: str | Path, options: Options = Options(),
               policy: Policy = Policy()) -> dict:
    """Import ``sources`` of format ``fmt`` into the day folder ``out``; returns its ``import.json`` content.

    Bad input raises ``ReplayFormatError`` (file, row, column, problem); nothing is written then.
    """
    module, function = FORMATS[fmt]
    importer = getattr(import_module(f"{__name__}.{module}"), function)
    imported, counts = importer([Path(s) for s in sources], options, policy)
    if options.date is None:
        _one_day(imported, sources[0])
    return write_day(out, imported, policy.describe(), counts.as_dict())


def _one_day(imported, source: str | Path) -> None:
    """A day folder is one New York trading day: a source spanning several without ``--date`` is refused
    (it was written as one "day" with overnight gaps in it), naming the dates."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    import numpy as np

    from venues_sim.replay_format import ReplayFormatError

    times = np.concatenate([imported.quotes.time, imported.trades.time]).astype(np.int64)
    if times.size == 0:
        return
    zone = ZoneInfo("America/New_York")
    first, last = (datetime.fromtimestamp(int(t) // 1_000_000_000, zone).date() for t in (times.min(), times.max()))
    if first != last:
        raise ReplayFormatError(source, None, None, f"the rows span New York dates {first} to {last}; a day folder "
                                                    f"is one trading day: give --date to import one of them")


__all__ = ["FORMATS", "Action", "Options", "Policy", "format_summary", "import_day", "read_meta", "summarize"]

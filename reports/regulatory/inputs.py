"""Inputs of the regulatory reports: run folders' event logs, the S&P 500 membership
file and the venue file (published names, MICs, material-aspects text).

File formats (documented in docs/regulatory_reporting.md):
* membership: one ticker a line, ``#`` comments (``components.regulatory.rule606.parse_membership``);
* venues: CSV with header ``venue,name,mic,material_aspects``; ``venue`` is the twin's venue name.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from components.domain.events import OrderEvent
from components.eventstore.sqlite import SqliteEventStore
from components.regulatory.rule606 import VenueInfo, parse_membership

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_SP500 = DATA_DIR / "sp500_members.txt"
DEFAULT_VENUES = DATA_DIR / "venues.csv"
VENUE_COLUMNS = ("venue", "name", "mic", "material_aspects")


def read_run_events(run_dir: Path) -> list[OrderEvent]:
    """The events of one run folder (its hash-chained ``events.sqlite``), after verifying the
    chain: a report is never built from a log that was altered. ``ValueError`` names the problem."""
    db = Path(run_dir) / "events.sqlite"
    if not db.is_file():
        raise ValueError(f"{run_dir}: no events.sqlite (not a run folder)")
    with SqliteEventStore(db, read_only=True) as store:
        check = store.verify()
        if not check.ok:
            raise ValueError(f"{db}: hash chain broken at offset {check.offset}: {check.problem}")
        return list(store.read())


def read_membership(path: Path | None = None) -> frozenset[str]:
    path = DEFAULT_SP500 if path is None else Path(path)
    return parse_membership(path.read_text(encoding="utf-8"), str(path))


def parse_venues(text: str, source: str = "venues") -> dict[str, VenueInfo]:
    """Venue file text to ``venue -> VenueInfo``; a bad row raises ``ValueError`` naming the row."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValueError(f"{source} line {reader.line_num}: not CSV: {exc}") from None
    if tuple(reader.fieldnames or ()) != VENUE_COLUMNS:
        raise ValueError(f"{source} line 1: header must be {','.join(VENUE_COLUMNS)}, got {reader.fieldnames}")
    out: dict[str, VenueInfo] = {}
    for line, row in enumerate(rows, 2):
        if None in row:
            raise ValueError(f"{source} line {line}: more than {len(VENUE_COLUMNS)} fields")
        mic = (row["mic"] or "").strip()
        if len(mic) != 4 or not mic.isalnum() or not mic.isupper():
            raise ValueError(f"{source} line {line}: mic {mic!r} must be 4 upper-case letters or digits")
        name = (row["name"] or "").strip()
        if not 1 <= len(name) <= 80:
            raise ValueError(f"{source} line {line}: name must be 1 to 80 characters")
        venue = (row["venue"] or "").strip()
        if not venue or venue in out:
            raise ValueError(f"{source} line {line}: venue {venue!r} is empty or repeated")
        out[venue] = VenueInfo(name, mic, (row["material_aspects"] or "").strip())
    return out


def read_venues(path: Path | None = None) -> dict[str, VenueInfo]:
    path = DEFAULT_VENUES if path is None else Path(path)
    return parse_venues(path.read_text(encoding="utf-8"), str(path))

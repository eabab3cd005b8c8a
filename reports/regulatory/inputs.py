"""Inputs of the regulatory reports: run folders' event logs, the S&P 500 membership
file and the venue file (published names, MICs, material-aspects text).

``read_runs`` is the gate on run folders: every run is counted once (the same folder under any
spelling, or a copy of the same log, is refused), trades inside the report's quarter, and on days
no other run trades (CAT firmROEIDs are ``<date>_<n>``: two runs of one day would repeat them).

File formats (documented in docs/regulatory_reporting.md):
* membership: one ticker a line, ``#`` comments (``components.regulatory.rule606.parse_membership``);
* venues: CSV with header ``venue,name,mic,material_aspects``; ``venue`` is the twin's venue name.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from components.domain.events import EventType, OrderEvent
from components.eventstore.sqlite import SqliteEventStore
from components.regulatory.rule606 import VenueInfo, parse_membership, quarter_months

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_SP500 = DATA_DIR / "sp500_members.txt"
DEFAULT_VENUES = DATA_DIR / "venues.csv"
VENUE_COLUMNS = ("venue", "name", "mic", "material_aspects")


@dataclass(frozen=True)
class RunLog:
    """One run folder as the reports read it: its verified events and what identifies the run."""

    path: Path
    events: list[OrderEvent]
    log_head: str  # the hash chain's head: equal heads, equal logs
    fingerprint: str  # from the run's summary.json ("" when it has none)
    trade_dates: tuple[date, ...]  # UTC days on which the run received orders

    def summary(self) -> dict[str, object]:
        return {"run": str(self.path), "events": len(self.events), "fingerprint": self.fingerprint,
                "log_head": self.log_head, "trade_dates": [d.isoformat() for d in self.trade_dates]}


def _utc_date(ns: int) -> date:
    # The reports date everything in UTC (606 months, CAT keys); a U.S. session never crosses UTC midnight.
    return datetime.fromtimestamp(ns // 1_000_000_000, tz=timezone.utc).date()


def _read_log(run_dir: Path) -> tuple[list[OrderEvent], str]:
    db = Path(run_dir) / "events.sqlite"
    if not db.is_file():
        raise ValueError(f"{run_dir}: no events.sqlite (not a run folder)")
    with SqliteEventStore(db, read_only=True) as store:
        check = store.verify()
        if not check.ok:
            raise ValueError(f"{db}: hash chain broken at offset {check.offset}: {check.problem}")
        return list(store.read()), store.head_hash


def read_run_events(run_dir: Path) -> list[OrderEvent]:
    """The events of one run folder (its hash-chained ``events.sqlite``), after verifying the
    chain: a report is never built from a log that was altered. ``ValueError`` names the problem."""
    return _read_log(run_dir)[0]


def read_run(run_dir: Path) -> RunLog:
    """One run folder: its verified events, log head, recorded fingerprint and trading days."""
    events, head = _read_log(run_dir)
    try:
        fingerprint = str(json.loads((Path(run_dir) / "summary.json").read_text())["fingerprint"])
    except (OSError, KeyError, TypeError, ValueError):
        fingerprint = ""
    days = sorted({_utc_date(e.timestamp_utc) for e in events if e.event_type is EventType.ORDER_RECEIVED})
    return RunLog(Path(run_dir), events, head, fingerprint, tuple(days))


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a quarter."""
    months = quarter_months(year, quarter)
    after = date(year + 1, 1, 1) if months[-1] == 12 else date(year, months[-1] + 1, 1)
    return date(year, months[0], 1), after - timedelta(days=1)


def read_runs(runs: list[Path], year: int, quarter: int) -> list[RunLog]:
    """The run folders of a package, each read and verified, or ``ValueError`` naming the ``--run``
    that is given twice (any spelling of the folder, or another folder holding the same log), trades
    outside the quarter, or trades on a day another run trades (one run per trading day)."""
    first, last = quarter_bounds(year, quarter)
    period = f"{year}Q{quarter}"
    folders: dict[Path, Path] = {}
    heads: dict[str, Path] = {}
    fingerprints: dict[str, Path] = {}
    day_of: dict[date, Path] = {}
    out = []
    for given in map(Path, runs):
        real = given.resolve()
        if real in folders:
            raise ValueError(f"--run {given}: the same run folder as --run {folders[real]} (given twice)")
        folders[real] = given
        try:
            run = read_run(given)
        except ValueError as exc:
            raise ValueError(f"--run {exc}") from None
        same = heads.get(run.log_head) or (run.fingerprint and fingerprints.get(run.fingerprint))
        if same:
            raise ValueError(f"--run {given}: holds the same run as --run {same} (same event log "
                             f"{run.log_head[:12]}): give each run once")
        heads[run.log_head] = given
        if run.fingerprint:
            fingerprints[run.fingerprint] = given
        outside = [d.isoformat() for d in run.trade_dates if not first <= d <= last]
        if outside:
            raise ValueError(f"--run {given}: trades on {', '.join(outside)}, outside --period {period} "
                             f"({first} to {last})")
        for d in run.trade_dates:
            if d in day_of:
                raise ValueError(f"--run {given}: trades on {d}, as does --run {day_of[d]}: give one run per "
                                 "trading day (CAT firmROEIDs <date>_<n> would repeat)")
            day_of[d] = given
        out.append(run)
    return out


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

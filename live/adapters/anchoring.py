"""The live event log's proof: the verified start, the anchor writer, the read-only log.

``check_start`` reads the store and its anchor log (``events.anchors`` next to
a SQLite file; in the run folder for PostgreSQL, plus its ``event_anchors``
table) and runs the pure check (``components.eventstore.anchors.verify_log``):
the anchors (HMAC, their own sequence, each anchored record present with the
anchored hash, nothing after a clean stop) and the hash chain of every
record, the query columns only after the last anchor. ``AnchoredLog`` wraps
the store the platform appends to: an anchor every ``anchor_every`` events,
one when the process takes the log over (start) and one at a clean stop.
``ReadOnlyLog`` is what a ``--read-only`` process gets: appends refused, and
only the verified records replayed.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable, Iterator

from components.domain.events import OrderEvent
from components.eventstore.anchorlog import AnchorFile, read_lines
from components.eventstore.anchors import Finding, LogCheck, chain_finding, verify_log
from components.eventstore.chain import VerifyResult
from components.eventstore.codec import decode
from components.eventstore.sqlite import RowCheck, verify_stored_rows
from components.eventstore.pgsql import compare_anchor_copies
from components.ports import EventLog

log = logging.getLogger("live")


class ReadOnlyRefused(RuntimeError):
    """An append on a log opened read-only (a process started with ``--read-only``)."""


@dataclass
class Integrity:
    """What the verified start found, and how the log is protected from here on (``/healthz``)."""

    anchors: str = "off"
    """keyed (HMAC-SHA-256), unkeyed (SHA-256: detects a cut tail, not a forgery) or off (no durable log)."""
    key_source: str = "none"
    check: LogCheck | None = None
    read_only: str = ""
    """Why this process is read-only (the tamper finding); empty when it is not."""
    verify_ms: float = 0.0
    notes: list[str] = field(default_factory=list)
    one_pass: bool = False
    """The chain was checked during the rebuild's read (``ChainOnRead``)."""

    def health(self) -> dict:
        finding = self.check.finding if self.check is not None else None
        return {"read_only": bool(self.read_only), "read_only_reason": self.read_only or None,
                "anchors": self.anchors, "log_verified": None if self.check is None else finding is None,
                "tamper_finding": str(finding) if finding is not None else None}

    def describe(self) -> list[str]:
        lines = []
        if self.check is not None:
            c = self.check
            verdict = "ok" if c.ok else f"FAILED at {c.finding}"
            lines.append(f"verified start: {c.records} records, {c.anchors.anchors} anchors, chain {verdict} "
                         f"({self.verify_ms:.0f} ms{', during the rebuild' if self.one_pass else ''}; hashes from "
                         f"offset {c.chain_from}, query columns from offset {c.columns_from})")
        lines.append(f"anchors: {self.anchors} (key: {self.key_source})")
        lines.extend(f"warning: {n}" for n in self.notes)
        if self.read_only:
            lines.append(f"READ-ONLY: {self.read_only}; no order, block, cancel or trading-state change is accepted")
        return lines


ONE_PASS_START = True
"""The whole-chain start check runs during the rebuild's read (``ChainOnRead``), not as a pass of its
own. Off only to measure the two-pass start (loadtests/benchmarks/bench_verified_start.py)."""


def check_start(store, anchor_lines: list[str] | None, key: bytes | None, adopt_unkeyed: bool = False,
                from_anchor: bool = False, table=None, file_lines: list[str] | None = None,
                defer_chain: bool = False) -> LogCheck:
    """The verified start's check of ``store`` (a SQLite or PostgreSQL event store) and its anchors:
    the whole chain, or with ``from_anchor`` only after the last anchor (``[event_log] start_check``).
    With ``table`` (PostgreSQL's ``event_anchors``) and the anchor file's ``file_lines``, the two copies
    must agree too (``components.eventstore.pgsql.compare_anchor_copies``). ``defer_chain`` checks only
    the anchors when they pass (``verified`` 0): the caller verifies the chain while it rebuilds
    (``ChainOnRead``, ``finish_start``); when they fail, the whole check runs, so the chain's finding,
    which names the exact record, still wins."""
    length = len(store)
    check = None
    if defer_chain and not from_anchor:
        check = verify_log(store.stored_rows, length, store.hash_at, anchor_lines, key, full=False,
                           require_anchors=True, adopt_unkeyed=adopt_unkeyed, chain=False)
        check = check if check.ok else None
    if check is None:
        check = verify_log(store.stored_rows, length, store.hash_at, anchor_lines, key, full=False,
                           from_anchor=from_anchor, require_anchors=True, adopt_unkeyed=adopt_unkeyed)
    if check.ok and table is not None and file_lines is not None:
        differ, missing = compare_anchor_copies(file_lines, table.rows())
        if differ:
            return dataclasses.replace(check, finding=Finding(None, "anchor_copies_differ", differ))
        if missing:
            notes = (*check.anchors.notes, missing)
            return dataclasses.replace(check, anchors=dataclasses.replace(check.anchors, notes=notes))
    return check


class ChainOnRead:
    """A store whose first whole read verifies the hash chain as it goes: the verified start's chain
    check done during the rebuild's read, so a restart reads the log once, not twice.

    Each record is decoded and handed on only once its hash (and, from ``columns_from``, its query
    columns) checked out; at the first break the read ends there and ``result`` holds the finding.
    The rebuilt state is then thrown away (``finish_start`` raises ``TamperedLog``), and nothing is
    appended or anchored before ``finish_start`` says the chain held."""

    def __init__(self, store, columns_from: int) -> None:
        self._store, self.columns_from = store, columns_from
        self.result: VerifyResult | None = None
        self.seconds = 0.0
        """Time spent reading, checking and decoding (the rebuild's own work excluded)."""

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        if start != 0 or self.result is not None:
            return self._store.read(start)
        return self._verifying()

    def _verifying(self) -> Iterator[OrderEvent]:
        check = RowCheck(self.columns_from)
        step, clock = check.step, time.perf_counter
        spent, mark = 0.0, clock()
        for row in self._store.stored_rows(0):
            broken = step(row)
            if broken is not None:
                self.result, self.seconds = broken, spent + clock() - mark
                return
            event = decode(row[1])
            spent += clock() - mark
            yield event
            mark = clock()
        self.result, self.seconds = check.result(), spent + clock() - mark

    def verify_now(self) -> VerifyResult:
        """The chain's outcome, reading the log for it if no whole read happened (an empty rebuild)."""
        if self.result is None:
            self.result = verify_stored_rows(self._store.stored_rows(0), None, self.columns_from)
        return self.result

    def __len__(self) -> int:
        return len(self._store)

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def finish_start(log, integrity: Integrity) -> None:
    """After the rebuild: the outcome of the chain check it ran (``ChainOnRead``). A break raises
    ``TamperedLog`` (the caller closes what it opened); otherwise ``integrity`` gets the records verified
    and the log its start anchor. Nothing to do for a log whose check was not deferred."""
    inner = getattr(log, "_store", None)
    if not isinstance(log, AnchoredLog) or not isinstance(inner, ChainOnRead) or integrity.check is None:
        return
    walked = inner.verify_now()
    check = integrity.check
    integrity.verify_ms += inner.seconds * 1000
    if not walked.ok:
        integrity.check = dataclasses.replace(
            check, finding=chain_finding(walked.offset, walked.kind, walked.problem), verified=walked.offset or 0)
        raise TamperedLog(integrity.check)
    integrity.check = dataclasses.replace(check, verified=walked.count)
    integrity.one_pass = True
    log.anchor("start")


class AnchorSink:
    """Where anchors go: the anchor file, and a database table too when there is one."""

    def __init__(self, path: Path, key: bytes | None, table=None) -> None:
        if table is not None and read_lines(path) is None:
            # A new run folder on a PostgreSQL log anchored before: the file starts as the table's copy,
            # so both go on with the same sequence (a fresh file would restart at anchor 0).
            lines = table.lines()
            if lines:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                Path(path).write_text("".join(line + "\n" for line in lines), encoding="ascii")
        self.file = AnchorFile(path, key)
        self.table = table

    def write(self, offset: int, digest: str, at_ns: int, kind: str) -> None:
        anchor = self.file.write(offset, digest, at_ns, kind)
        if self.table is not None:
            try:
                self.table.write(anchor.seq, anchor.to_line())
            except Exception:  # the file holds it; a table copy missing is reported, not fatal
                log.exception("could not copy anchor %d to the database", anchor.seq)

    def close(self) -> None:
        self.file.close()


class AnchoredLog:
    """An event store that anchors itself: every ``every`` events, at ``anchor(START)`` and ``anchor(STOP)``.

    Everything but appends goes straight to the store."""

    def __init__(self, store, sink: AnchorSink, every: int, now_ns: Callable[[], int]) -> None:
        self._store, self._sink, self._every, self._now_ns = store, sink, every, now_ns
        last = sink.file.last
        self._anchored = last.offset if last is not None else -1

    def append(self, event: OrderEvent) -> int:
        offset = self._store.append(event)
        self._maybe_anchor(offset)
        return offset

    def append_batch(self, events, batch_size: int | None = None) -> range:
        used = self._store.append_batch(events, batch_size)
        if len(used):
            self._maybe_anchor(used.stop - 1)
        return used

    def _maybe_anchor(self, offset: int) -> None:
        if offset - self._anchored >= self._every:
            try:
                self._write(offset, "every")
            except Exception:  # the event is stored: failing its append now would lie about it
                log.exception("could not write the anchor for record %d; the next one will cover it", offset)

    def _write(self, offset: int, kind: str) -> None:
        digest = self._store.hash_at(offset)
        if digest is None:
            return
        self._sink.write(offset, digest, self._now_ns(), kind)
        self._anchored = offset

    def anchor(self, kind: str) -> None:
        """Anchor the current head (nothing for an empty log)."""
        end = len(self._store) - 1
        if end >= 0:
            self._write(end, kind)

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        return self._store.read(start)

    def __len__(self) -> int:
        return len(self._store)

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def close(self) -> None:
        try:
            self._sink.close()
        finally:
            self._store.close()


class ReadOnlyLog:
    """A store no one may append to, replaying only its first ``verified`` records (the proven ones)."""

    def __init__(self, store, verified: int, reason: str) -> None:
        self._store, self._verified, self.reason = store, verified, reason

    def append(self, event: OrderEvent) -> int:
        raise ReadOnlyRefused(f"the event log is read-only: {self.reason}")

    def append_batch(self, events, batch_size: int | None = None) -> range:
        raise ReadOnlyRefused(f"the event log is read-only: {self.reason}")

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        # islice stops before pulling (and decoding) the first unverified record.
        return islice(self._store.read(start), max(0, self._verified - max(0, start)))

    def __len__(self) -> int:
        return min(len(self._store), self._verified)

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def close(self) -> None:
        close = getattr(self._store, "close", None)  # an in-memory log has nothing to close
        if close is not None:
            close()


def anchor_lines(path: Path, table=None) -> list[str] | None:
    """The anchor log to check: the file if present, else the database table's copy (if any lines)."""
    lines = read_lines(path)
    if lines is None and table is not None:
        lines = table.lines() or None
    return lines


class TamperedLog(RuntimeError):
    """The verified start found the event log (or its anchors) altered: the process must not serve it."""

    def __init__(self, check: LogCheck) -> None:
        self.check = check
        super().__init__(f"event log verification failed at {check.finding}")

"""Anchors: checkpoints of the hash chain kept outside the event log, and the checks on them.

The chain (``chain``) proves the records are the ones written, in order, up to
the head; it cannot see a cut tail, a forged row appended with its hash
recomputed, or a whole log rewritten with a fresh consistent chain. An anchor
can: it records (offset, hash of the record at that offset, time, kind) and
seals them with HMAC-SHA-256 under a secret key that never lives next to the
log. Anchors are written every N events and at every clean stop (and at
every start, so what a restarted process appends is accounted for) to an
append-only anchor log (``anchorlog``). Each anchor also carries its line
number and the previous anchor's MAC, so a removed or reordered anchor breaks
the anchors' own chain.

Without a key, anchors are sealed with plain SHA-256 (``alg`` "SHA256"): they
still detect a cut tail, but anyone can recompute them, so they prove nothing
against a forger. ``check_anchors`` says which kind it checked; it never
passes unkeyed anchors off as keyed ones.

Everything here is a pure function over records and anchor lines: reading the
anchor file and the store is the callers' (``anchorlog``, the live adapters,
``twin replay-log``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Callable, Iterable

from .chain import GENESIS

KEY_ENV = "TWIN_ANCHOR_KEY"
"""Environment variable holding the anchor key (hex, or text of at least ``MIN_KEY_BYTES``)."""
DEFAULT_EVERY = 10_000
"""Events between two periodic anchors."""
MIN_KEY_BYTES = 16
KEYED, UNKEYED = "HMAC-SHA256", "SHA256"
EVERY, START, STOP = "every", "start", "stop"
KINDS = (EVERY, START, STOP)
_VERSION = "twin-anchor-v1"


class AnchorKeyError(ValueError):
    """The anchor key is unusable (too short, unreadable, or kept inside the run folder)."""


def parse_key(text: str | bytes) -> bytes:
    """A key as written in ``TWIN_ANCHOR_KEY`` or a key file: hex digits (at least 32, an even
    number) are decoded, anything else is taken as UTF-8 text; surrounding whitespace is ignored."""
    raw = text.decode("utf-8") if isinstance(text, bytes) else text
    raw = raw.strip()
    key: bytes
    try:
        key = bytes.fromhex(raw) if len(raw) >= 2 * MIN_KEY_BYTES and len(raw) % 2 == 0 else raw.encode("utf-8")
    except ValueError:
        key = raw.encode("utf-8")
    if len(key) < MIN_KEY_BYTES:
        raise AnchorKeyError(f"the anchor key must be at least {MIN_KEY_BYTES} bytes "
                             f"(got {len(key)}; use e.g. `openssl rand -hex 32`)")
    return key


def key_id(key: bytes | None) -> str:
    """A short name for ``key`` (an HMAC of a constant, not the key's hash): tells anchors made
    with another key apart from forged ones. Empty for no key."""
    return "" if key is None else hmac.new(key, b"twin-anchor-key-id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Anchor:
    """One line of an anchor log."""

    seq: int
    """Its line number, from 0 (a removed line breaks the sequence)."""
    offset: int
    """The offset of the last record it covers."""
    hash: str
    """That record's hash (the chain's head at ``offset``)."""
    at_ns: int
    """When it was written (UTC ns, system time)."""
    kind: str
    """every (periodic), start (a process took over the log) or stop (a clean stop: nothing follows)."""
    prev: str
    """The previous anchor's ``mac`` (``GENESIS`` for the first)."""
    alg: str
    """HMAC-SHA256 (keyed) or SHA256 (no key: detects a cut tail, not a forgery)."""
    key_id: str
    mac: str

    def to_line(self) -> str:
        return json.dumps({"seq": self.seq, "offset": self.offset, "hash": self.hash, "at_ns": self.at_ns,
                           "kind": self.kind, "prev": self.prev, "alg": self.alg, "key_id": self.key_id,
                           "mac": self.mac}, sort_keys=True, separators=(",", ":"))

    def to_record(self) -> dict:
        return json.loads(self.to_line())


def _message(seq: int, offset: int, digest: str, at_ns: int, kind: str, prev: str, alg: str, kid: str) -> bytes:
    return json.dumps([_VERSION, seq, offset, digest, at_ns, kind, prev, alg, kid],
                      separators=(",", ":")).encode("ascii")


def _seal(message: bytes, key: bytes | None) -> str:
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal(seq: int, offset: int, digest: str, at_ns: int, kind: str, prev: str, key: bytes | None) -> Anchor:
    """The anchor for record ``offset`` whose hash is ``digest``, keyed when ``key`` is given."""
    if kind not in KINDS:
        raise ValueError(f"anchor kind must be one of {KINDS}, got {kind!r}")
    alg, kid = (UNKEYED, "") if key is None else (KEYED, key_id(key))
    mac = _seal(_message(seq, offset, digest, at_ns, kind, prev, alg, kid), key)
    return Anchor(seq, offset, digest, at_ns, kind, prev, alg, kid, mac)


def parse_line(line: str) -> Anchor:
    """An anchor from its line; ValueError if it is not one."""
    try:
        r = json.loads(line)
        anchor = Anchor(r["seq"], r["offset"], r["hash"], r["at_ns"], r["kind"], r["prev"], r["alg"],
                        r["key_id"], r["mac"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not an anchor: {exc}") from None
    if not (all(type(v) is int for v in (anchor.seq, anchor.offset, anchor.at_ns))
            and all(isinstance(v, str) for v in (anchor.hash, anchor.kind, anchor.prev, anchor.alg, anchor.mac))):
        raise ValueError("not an anchor: wrong field types")
    return anchor


def mac_ok(anchor: Anchor, key: bytes | None) -> bool:
    """Whether ``anchor``'s seal is right (keyed anchors need ``key``)."""
    a = anchor
    message = _message(a.seq, a.offset, a.hash, a.at_ns, a.kind, a.prev, a.alg, a.key_id)
    if a.alg == UNKEYED:
        return hmac.compare_digest(a.mac, _seal(message, None))
    if a.alg == KEYED and key is not None:
        return hmac.compare_digest(a.mac, _seal(message, key))
    return False


@dataclass(frozen=True, slots=True)
class Finding:
    """What a check found wrong: where (a record offset, when one applies), what kind, why."""

    offset: int | None
    kind: str
    """changed, deleted, reordered, columns (the chain); cut_tail, rewritten, appended_after_stop,
    anchor_forged, anchor_unkeyed, anchor_deleted, anchor_malformed, anchors_missing (the anchors)."""
    reason: str

    def __str__(self) -> str:
        where = f"offset {self.offset}" if self.offset is not None else "anchor log"
        return f"{where}: {self.kind}: {self.reason}"


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """The outcome of ``check_anchors``."""

    finding: Finding | None
    anchors: int = 0
    """Anchors read."""
    last: Anchor | None = None
    """The last anchor that checked out (the verified start resumes after it)."""
    keyed: bool = False
    """True when every anchor read was keyed and its HMAC checked with the key."""
    notes: tuple[str, ...] = ()
    """What is weaker than it could be (unkeyed anchors, an unanchored tail), for the operator."""

    @property
    def ok(self) -> bool:
        return self.finding is None


def check_anchors(lines: Iterable[str], key: bytes | None, log_length: int,
                  hash_at: Callable[[int], str | None], adopt_unkeyed: bool = False) -> AnchorCheck:
    """Check an anchor log against a log of ``log_length`` records, ``hash_at(offset)`` giving
    each record's stored hash: every line parses, its seal is right (the HMAC, with ``key``),
    the lines form their own chain (seq and prev), offsets do not go back, each anchored
    record exists (else the tail was cut) and holds the anchored hash (else the records up
    to it were rewritten), and nothing follows a clean stop that no start anchor accounts
    for (a forged append). Stops at the first finding.

    With ``key``, an unkeyed anchor is a finding (anyone can write one: a rewritten log with
    fresh unkeyed anchors would otherwise pass) unless ``adopt_unkeyed``, which accepts unkeyed
    anchors *before* the first keyed one, for the one start that adopts a key on a history
    anchored without one (an operator's explicit choice, ``twin serve --adopt-anchor-key``)."""
    prev, last, count, notes = GENESIS, None, 0, []
    keyed_seen = False
    unvouched: Anchor | None = None  # an unkeyed anchor no keyed one has followed yet
    for seq, line in enumerate(lines):
        if not line.strip():
            continue
        count += 1
        try:
            a = parse_line(line)
        except ValueError as exc:
            return AnchorCheck(Finding(None, "anchor_malformed", f"anchor line {seq + 1}: {exc}"), count, last)
        where = f"anchor line {seq + 1} (record {a.offset})"
        if a.alg == KEYED:
            if key is None:
                notes.append("the anchors are keyed but no key was given: their HMACs were not checked")
            elif a.key_id != key_id(key):
                return AnchorCheck(Finding(a.offset, "anchor_forged",
                                           f"{where} was sealed with another key (key id {a.key_id}, "
                                           f"the given key is {key_id(key)})"), count, last)
            elif not mac_ok(a, key):
                return AnchorCheck(Finding(a.offset, "anchor_forged", f"{where}: HMAC mismatch (forged or altered)"),
                                   count, last)
            keyed_seen = True
            unvouched = None  # a checked keyed anchor vouches for every record before it
        elif a.alg == UNKEYED:
            if key is not None and keyed_seen:
                return AnchorCheck(Finding(a.offset, "anchor_unkeyed",
                                           f"{where} is unkeyed although earlier anchors are keyed (forged: "
                                           "anyone can write an unkeyed anchor)"), count, last)
            unvouched = unvouched or a
            if not mac_ok(a, None):
                return AnchorCheck(Finding(a.offset, "anchor_malformed", f"{where}: SHA-256 seal mismatch"),
                                   count, last)
        else:
            return AnchorCheck(Finding(a.offset, "anchor_malformed", f"{where}: unknown alg {a.alg!r}"), count, last)
        if a.kind not in KINDS:
            return AnchorCheck(Finding(a.offset, "anchor_malformed", f"{where}: unknown kind {a.kind!r}"), count, last)
        if a.seq != seq or a.prev != prev:
            return AnchorCheck(Finding(a.offset, "anchor_deleted",
                                       f"{where} does not follow the anchor before it (anchors removed or "
                                       "reordered)"), count, last)
        if last is not None and a.offset < last.offset:
            return AnchorCheck(Finding(a.offset, "anchor_malformed",
                                       f"{where} goes back from record {last.offset}"), count, last)
        if last is not None and last.kind == STOP and a.offset != last.offset:
            return AnchorCheck(Finding(last.offset + 1, "appended_after_stop",
                                       f"records after the clean stop at record {last.offset} were appended "
                                       "before the next process started (forged)"), count, last)
        if a.offset >= log_length:
            return AnchorCheck(Finding(max(log_length, 0), "cut_tail",
                                       f"{where} vouches for record {a.offset} but the log ends at "
                                       f"{'record ' + str(log_length - 1) if log_length else 'no record'} "
                                       "(the tail was cut)"), count, last)
        stored = hash_at(a.offset)
        if stored != a.hash:
            after = f"after record {last.offset}" if last is not None else "from the start"
            return AnchorCheck(Finding(a.offset, "rewritten",
                                       f"record {a.offset}'s hash {str(stored)[:16]} is not the anchored "
                                       f"{a.hash[:16]} (records {after} up to it were rewritten with a "
                                       "recomputed chain)"), count, last)
        prev, last = a.mac, a
    if key is not None and unvouched is not None and not adopt_unkeyed:
        return AnchorCheck(Finding(unvouched.offset, "anchor_unkeyed",
                                   f"anchor line {unvouched.seq + 1} (record {unvouched.offset}) is unkeyed and no "
                                   "keyed anchor follows it although a key is given (written before the key was, "
                                   "or forged: anyone can write an unkeyed anchor; an operator adopting the key "
                                   "says so with --adopt-anchor-key)"), count, last)
    if last is not None and last.kind == STOP and log_length - 1 > last.offset:
        return AnchorCheck(Finding(last.offset + 1, "appended_after_stop",
                                   f"records {last.offset + 1} to {log_length - 1} follow the clean stop "
                                   f"anchored at record {last.offset} (appended without the writer: forged)"),
                           count, last)
    if unvouched is not None:
        notes.append("anchors are unkeyed (SHA-256): they detect a cut tail, not a forgery; set "
                     f"{KEY_ENV} or an anchor key file")
    if last is not None and log_length - 1 > last.offset:
        notes.append(f"records {last.offset + 1} to {log_length - 1} follow the last anchor "
                     "(the last process did not stop cleanly); their chain is verified but not anchored")
    return AnchorCheck(None, count, last, keyed_seen and unvouched is None and key is not None,
                       tuple(dict.fromkeys(notes)))


def chain_finding(offset: int | None, kind: str, problem: str) -> Finding:
    """A ``chain.VerifyResult``'s break as a ``Finding``."""
    return Finding(offset, kind or "changed", problem)


@dataclass(frozen=True, slots=True)
class LogCheck:
    """The outcome of ``verify_log``: the first finding (None when the log is proven), and what was checked."""

    finding: Finding | None
    records: int
    """Records in the log."""
    verified: int
    """Records from offset 0 whose chain checked out (all of them unless the chain broke)."""
    anchors: AnchorCheck
    columns_from: int = 0
    """Query columns were checked from this offset on."""
    chain_from: int = 0
    """Hashes were recomputed from this offset on (after the last anchor with ``from_anchor``)."""

    @property
    def ok(self) -> bool:
        return self.finding is None

    @property
    def notes(self) -> tuple[str, ...]:
        return self.anchors.notes


def verify_log(stored_rows: Callable[[int], Iterable[tuple]], log_length: int,
               hash_at: Callable[[int], str | None], anchor_lines: Iterable[str] | None, key: bytes | None, *,
               full: bool = True, from_anchor: bool = False, require_anchors: bool = False,
               adopt_unkeyed: bool = False, chain: bool = True) -> LogCheck:
    """Verify a stored log and its anchor log together.

    The anchors are checked first (cheap: one stored hash per anchor). The hash chain is then
    recomputed over every record, so a changed byte is found anywhere; with ``full=False``
    (a verified start) the query columns are checked only after the last good anchor, since
    decoding every payload is what makes a full check slow. ``from_anchor`` goes further: the
    chain is recomputed only after the last good anchor (whose record must hold the anchored
    hash), so a payload edited *before* it with its stored hash left alone is not seen; it is
    the operator's trade of proof for start-up time (``[event_log] start_check = "anchors"``).
    ``stored_rows(start)`` is a store's ``stored_rows``. A log with records and no anchor log is a finding only when
    ``require_anchors`` (an anchor log deleted to hide a rewrite looks exactly like that).
    The chain's finding, which names the exact record, wins over the anchors'.
    ``chain=False`` checks the anchors only (``verified`` is then 0): for a caller that verifies the
    chain itself while it reads the records anyway (``sqlite.RowCheck``; the live start's rebuild).
    """
    from .sqlite import verify_stored_rows  # the one row check every SQL store shares

    if anchor_lines is None:
        anchors = AnchorCheck(None, notes=("no anchor log: a cut tail or a rewritten chain cannot be detected",)
                              if log_length else ())
        if require_anchors and log_length > 0:
            anchors = AnchorCheck(Finding(None, "anchors_missing",
                                          f"the log holds {log_length} records but there is no anchor log "
                                          "(deleted, or a log from before anchors)"))
    else:
        anchors = check_anchors(anchor_lines, key, log_length, hash_at, adopt_unkeyed)
    columns_from = 0 if full or anchors.last is None else anchors.last.offset + 1
    if not chain:
        return LogCheck(anchors.finding, log_length, 0, anchors, columns_from, 0)
    start = 0
    if from_anchor and anchors.ok and anchors.last is not None:
        start = anchors.last.offset + 1
        walked = verify_stored_rows(stored_rows(start), None, columns_from, start, anchors.last.hash)
    else:
        walked = verify_stored_rows(stored_rows(0), None, columns_from)
    if not walked.ok:
        return LogCheck(chain_finding(walked.offset, walked.kind, walked.problem), log_length,
                        walked.offset or 0, anchors, columns_from, start)
    return LogCheck(anchors.finding, log_length, walked.count, anchors, columns_from, start)

"""The hash chain that makes the log tamper-evident.

Each record stores ``hash = SHA-256(parent_hash + payload)`` where
``parent_hash`` is the previous record's hash (``GENESIS`` for offset 0).
Changing a payload breaks its own hash; deleting or reordering records breaks
the offsets or the parent links. ``verify`` walks the records once and names
the first offset where the chain breaks.

The chain proves the records are the ones written, in order, *up to the head*:
a rewrite of the whole tail with fresh hashes, or a cut tail, is only caught by
comparing the head hash (or count) with one kept elsewhere, which is what
``expected_head`` and the keyed anchors (``anchors``) are for.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterable

GENESIS = "0" * 64
_sha256 = hashlib.sha256
Record = tuple[int, bytes, str, str]  # (offset, payload, parent_hash, hash)


def link_hash(parent_hash: str, payload: bytes) -> str:
    """SHA-256 hex of the parent hash (ASCII hex) followed by the payload bytes."""
    return hashlib.sha256(parent_hash.encode("ascii") + payload).hexdigest()


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    offset: int | None = None  # the first offending offset when not ok
    problem: str = ""
    count: int = 0  # records checked
    head: str = GENESIS  # hash of the last good record
    kind: str = ""  # when not ok: deleted, reordered, changed, columns or cut_or_rewritten

    def __bool__(self) -> bool:
        return self.ok


class ChainBroken(ValueError):
    """A reader that verifies as it goes met a bad record; ``result`` says where and how."""

    def __init__(self, result: VerifyResult) -> None:
        super().__init__(result.problem)
        self.result = result


class ChainWalk:
    """``verify`` one record at a time, for a reader that also needs each record once it is proven
    (the live start verifies the chain during the rebuild's read: one pass over the log, not two)."""

    __slots__ = ("expected", "parent")

    def __init__(self, start: int = 0, parent: str = GENESIS) -> None:
        self.expected, self.parent = start, parent

    def step(self, offset: int, payload: bytes, parent_hash: str, stored: str) -> VerifyResult | None:
        """Check the next record: None if it extends the chain, else the failed ``VerifyResult``."""
        expected_offset, parent = self.expected, self.parent
        if offset != expected_offset:
            # A gap means the record at expected_offset was removed; a smaller or
            # repeated offset means records were moved. Either way the chain
            # breaks at the first position that no longer holds what was written.
            what = "missing (deleted?)" if offset > expected_offset else f"out of order (found offset {offset})"
            return VerifyResult(False, expected_offset, f"record {expected_offset} {what}", expected_offset, parent,
                                "deleted" if offset > expected_offset else "reordered")
        if parent_hash != parent:
            after = f"record {offset - 1}" if offset else "the genesis hash"
            return VerifyResult(False, offset, f"record {offset} does not follow {after} "
                                               "(parent hash mismatch: deleted or reordered)", offset, parent, "reordered")
        # link_hash, inlined: this runs once per record on every verify.
        if _sha256(parent_hash.encode("ascii") + payload).hexdigest() != stored:
            return VerifyResult(False, offset, f"record {offset} was changed (hash mismatch)", offset, parent,
                                "changed")
        self.expected, self.parent = expected_offset + 1, stored
        return None

    def result(self, expected_head: str | None = None) -> VerifyResult:
        """The outcome once every record passed ``step``."""
        return check_head(VerifyResult(True, None, "", self.expected, self.parent), expected_head)


def verify(records: Iterable[Record], expected_head: str | None = None, start: int = 0,
           parent: str = GENESIS) -> VerifyResult:
    """Check offsets run 0, 1, 2..., each parent is the previous hash, and each
    hash matches its payload. Stops at the first break.

    ``start`` and ``parent`` verify a suffix: ``records`` begin at offset
    ``start`` and the first one's parent must be ``parent`` (the hash of record
    ``start - 1``, e.g. taken from an anchor); ``count`` is then an offset too."""
    walk = ChainWalk(start, parent)
    step = walk.step
    for record in records:
        broken = step(*record)
        if broken is not None:
            return broken
    return walk.result(expected_head)


def check_head(result: VerifyResult, expected_head: str | None) -> VerifyResult:
    """``result``, failed if its chain does not end at ``expected_head`` (when given)."""
    if not result.ok or expected_head is None or result.head == expected_head:
        return result
    return VerifyResult(False, result.count, f"head is {result.head}, expected {expected_head} "
                                             "(records cut or rewritten after the last one checked)",
                        result.count, result.head, "cut_or_rewritten")

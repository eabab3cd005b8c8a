"""The sign-off gate of a report package: pending -> signed -> filed, and nothing filed by itself.

A package's history is its own append-only log of ``PackageEvent`` records.
``state_of`` replays it; ``decide_sign`` and ``decide_file`` return either the
event to append or a ``Refusal`` with a machine-readable reason, never
mutate anything. Each event carries the hash of the package's manifest (the
content hashes of its files) at that moment, so a file changed after signing
is caught when filing. Times are given by the caller (the CLI's or the live
API's clock): this module reads no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Mapping


class PackageState(str, Enum):
    PENDING = "PENDING"
    SIGNED = "SIGNED"
    FILED = "FILED"


class Kind(str, Enum):
    PREPARED = "PackagePrepared"
    SIGNED = "PackageSigned"
    FILED = "PackageFiled"


_NEXT = {Kind.PREPARED: PackageState.PENDING, Kind.SIGNED: PackageState.SIGNED, Kind.FILED: PackageState.FILED}


@dataclass(frozen=True, slots=True)
class PackageEvent:
    """Who did what to the package, when (ISO-8601 UTC), on which manifest hash."""

    kind: Kind
    actor: str
    at: str
    manifest_sha256: str
    note: str = ""

    def to_record(self) -> dict[str, Any]:
        return {"event": self.kind.value, "actor": self.actor, "at": self.at,
                "manifest_sha256": self.manifest_sha256, "note": self.note}

    @classmethod
    def from_record(cls, r: Mapping[str, Any]) -> "PackageEvent":
        try:
            return cls(Kind(r["event"]), r["actor"], r["at"], r["manifest_sha256"], r.get("note", ""))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"package log record {dict(r)!r}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a transition is refused: a reason code and words for people."""

    reason: str
    message: str


def state_of(log: Iterable[PackageEvent]) -> PackageState | None:
    """The state the log reaches (None for an empty log); an out-of-order log raises ``ValueError``."""
    state: PackageState | None = None
    allowed = {None: Kind.PREPARED, PackageState.PENDING: Kind.SIGNED, PackageState.SIGNED: Kind.FILED}
    for n, ev in enumerate(log):
        if allowed.get(state) is not ev.kind:
            raise ValueError(f"package log entry {n}: {ev.kind.value} cannot follow state {state}")
        state = _NEXT[ev.kind]
    return state


def prepared(actor: str, at: str, manifest_sha256: str, failed_checks: int) -> PackageEvent:
    """The first event of a package."""
    return PackageEvent(Kind.PREPARED, actor, at, manifest_sha256, f"{failed_checks} failed checks")


def decide_sign(log: list[PackageEvent], officer: str, at: str, manifest_sha256: str,
                failed_checks: int) -> PackageEvent | Refusal:
    """A compliance officer signs a pending package whose files are as prepared and whose checks passed."""
    state = state_of(log)
    if not officer.strip():
        return Refusal("NO_OFFICER", "an officer's name is required")
    if state is not PackageState.PENDING:
        return Refusal("NOT_PENDING", f"package is {state.value if state else 'empty'}, only a pending one is signed")
    if manifest_sha256 != log[0].manifest_sha256:
        return Refusal("CHANGED_SINCE_PREPARED", "the package's files changed after it was prepared")
    if failed_checks:
        return Refusal("CHECKS_FAILED", f"{failed_checks} completeness checks failed: resolve them and prepare again")
    return PackageEvent(Kind.SIGNED, officer.strip(), at, manifest_sha256)


def decide_file(log: list[PackageEvent], actor: str, at: str, manifest_sha256: str) -> PackageEvent | Refusal:
    """Mark a signed package filed, only if its files are still the ones signed."""
    state = state_of(log)
    if state is not PackageState.SIGNED:
        return Refusal("NOT_SIGNED" if state is PackageState.PENDING else "NOT_SIGNABLE_STATE",
                       f"package is {state.value if state else 'empty'}: only a signed package can be filed")
    signed = log[-1]
    if manifest_sha256 != signed.manifest_sha256:
        return Refusal("CHANGED_AFTER_SIGNING", "the package's files changed after it was signed")
    return PackageEvent(Kind.FILED, actor, at, manifest_sha256, f"signed by {signed.actor} at {signed.at}")

"""The sign-off gate: pending -> signed -> filed, nothing else."""

from __future__ import annotations

import pytest

from components.regulatory.signoff import (
    Kind,
    PackageEvent,
    PackageState,
    Refusal,
    decide_file,
    decide_sign,
    prepared,
    state_of,
)

H, H2 = "a" * 64, "b" * 64


def pending() -> list[PackageEvent]:
    return [prepared("twin", "2027-01-05T10:00:00Z", H, 0)]


def test_an_unsigned_package_cannot_be_filed():
    refusal = decide_file(pending(), "ops", "2027-01-05T11:00:00Z", H)
    assert isinstance(refusal, Refusal) and refusal.reason == "NOT_SIGNED"


def test_sign_then_file():
    log = pending()
    signed = decide_sign(log, "Jane Doe", "2027-01-05T10:30:00Z", H, failed_checks=0)
    assert isinstance(signed, PackageEvent) and (signed.kind, signed.actor, signed.manifest_sha256) == (
        Kind.SIGNED, "Jane Doe", H)
    log.append(signed)
    assert state_of(log) is PackageState.SIGNED
    filed = decide_file(log, "ops", "2027-01-05T11:00:00Z", H)
    assert isinstance(filed, PackageEvent) and "Jane Doe" in filed.note
    log.append(filed)
    assert state_of(log) is PackageState.FILED
    assert decide_file(log, "ops", "later", H).reason == "NOT_SIGNABLE_STATE"
    assert decide_sign(log, "Jane Doe", "later", H, 0).reason == "NOT_PENDING"


@pytest.mark.parametrize("officer, digest, failed, reason", [
    ("  ", H, 0, "NO_OFFICER"),
    ("Jane", H2, 0, "CHANGED_SINCE_PREPARED"),
    ("Jane", H, 2, "CHECKS_FAILED"),
])
def test_sign_refusals(officer, digest, failed, reason):
    assert decide_sign(pending(), officer, "t", digest, failed).reason == reason


def test_files_changed_after_signing_cannot_be_filed():
    log = pending()
    log.append(decide_sign(log, "Jane", "t", H, 0))
    assert decide_file(log, "ops", "t", H2).reason == "CHANGED_AFTER_SIGNING"


def test_an_out_of_order_log_is_refused():
    log = pending()
    with pytest.raises(ValueError, match="entry 1: PackageFiled cannot follow state PackageState.PENDING"):
        state_of([*log, PackageEvent(Kind.FILED, "x", "t", H)])
    with pytest.raises(ValueError, match="not a valid|Kind"):
        PackageEvent.from_record({"event": "Nope", "actor": "a", "at": "t", "manifest_sha256": H})

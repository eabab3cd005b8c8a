"""The live AML desk on an in-memory live stack (no HTTP): a second desk built on the same log is the same
desk (cases, statuses, ids), a stored decision that fits no rebuilt case is listed and not applied, a
decision whose append fails leaves the desk as the log says, and a transfer's ``client_transfer_id`` makes a
retry return the first decision (also from a rebuilt desk) and another transfer under the key a conflict."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.aml.cases import CaseStatus, SignOffRequired
from components.aml.transfers import TransferKind
from components.config.live import parse_live_config
from components.domain.events import EventType
from components.domain.money import to_units
from components.reference.sanctions import sdn_individual_names
from components.order_entry import IdempotencyConflict
from live.aml_desk import LiveAmlDesk, Submitted, TransferInstruction
from live.bootstrap import build_live
from tests.live_configs import IN_PROCESS, account, symbols

LISTED = sdn_individual_names(1)[0]
"""A holder on the SDN list (an account onboarded before the list named them)."""
CONFIG = (symbols(AAPL="190.00") + IN_PROCESS + '\n[[venues]]\nname = "XNAS"\n'
          + account("ACCT-1", "CL-1", "ADV-1", extra='client_name = "Alice Example"')
          + account("ACCT-2", "CL-2", "ADV-1", extra='client_name = "Bruno Sample"')
          + account("ACCT-9", "CL-9", "ADV-1", extra=f'client_name = "{LISTED}"') + "\n[session]\nenabled = false\n")


@pytest.fixture
def live():
    app = build_live(parse_live_config(CONFIG, "test"))
    try:
        yield app
    finally:
        app.close()


def structure(desk: LiveAmlDesk, account_id: str) -> tuple[str, str]:
    for amount in ("9500.00", "9300.00"):
        desk.submit(TransferInstruction(TransferKind.DEPOSIT, account_id, "BR-1", to_units(amount)), "ADV-1")
    (alert,) = [a for a in desk.run_monitoring("ana")["alerts"] if a["account"] == account_id]
    return alert["alert_id"], alert["case_id"]


def test_a_desk_rebuilt_from_the_log_has_the_same_cases_ids_and_statuses(live):
    desk = LiveAmlDesk(live)
    alert, case = structure(desk, "ACCT-1")
    other_alert, other_case = structure(desk, "ACCT-2")
    desk.dispose(alert, "suspicious", "ana", "split cash")
    desk.request_sar(case, "ana")
    with pytest.raises(SignOffRequired):
        desk.file_sar(case, "analyst:ana")
    desk.sign_off(case, "bob", True, "agreed")
    desk.file_sar(case, "bsa_officer:bob")
    desk.dispose(other_alert, "false_positive", "ana", "payroll")
    again = LiveAmlDesk(live)  # what a restart builds: the same log, read from the start
    assert again.unmatched == []
    assert [again.case_record(c) for c in sorted(again.book.cases)] == [desk.case_record(c) for c in sorted(desk.book.cases)]
    assert again.book.case(case).status is CaseStatus.SAR_FILED and again.book.case(other_case).status is CaseStatus.CLOSED
    assert [e.event_id for e in again.book.events] == [e.event_id for e in desk.book.events]
    assert [d.decision_id for d in again.decisions()] == [d.decision_id for d in desk.decisions()]
    assert again.monitoring_state() == desk.monitoring_state()


def test_a_stored_decision_that_fits_no_rebuilt_case_is_listed_not_applied(live):
    desk = LiveAmlDesk(live)
    structure(desk, "ACCT-1")
    with live.runtime.atomic():
        forged = live.platform.oms.record_platform_event(EventType.AML_ALERT_CLOSED, "analyst:eve", {
            "event_id": "AMLD-0000009", "alert_id": "A999999", "case_id": "AMLC-000009", "disposition": "suspicious",
            "analyst": "eve", "reason": "x", "at_ns": 1})
    again = LiveAmlDesk(live)
    (kept,) = again.unmatched
    assert kept["event_id"] == forged.event_id and "A999999" in kept["problem"] and kept["actor"] == "analyst:eve"
    assert again.book.events == [] and all(c.status is CaseStatus.OPEN for c in again.book.cases.values())


def test_a_decision_whose_append_fails_is_undone_by_a_rebuild_from_the_log(live, monkeypatch):
    desk = LiveAmlDesk(live)
    alert, case = structure(desk, "ACCT-1")

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(live.platform.oms, "record_platform_event", broken)
    with pytest.raises(OSError):
        desk.dispose(alert, "suspicious", "ana", "split cash")
    monkeypatch.undo()
    assert desk.book.case(case).open_alerts == [alert] and desk.book.events == []  # as the log says
    assert desk.dispose(alert, "suspicious", "ana", "split cash")["event_id"] == "AMLD-0000001"


@pytest.mark.parametrize("kind, account_id, counterparty", [
    (TransferKind.DEPOSIT, "ACCT-9", "BR-1"),  # into a listed holder's account
    (TransferKind.INTERNAL, "ACCT-1", "ACCT-9"),  # to a listed holder inside the firm
    (TransferKind.WITHDRAWAL, "ACCT-9", "BR-1"),  # out of it
])
def test_no_transfer_touching_a_listed_holder_executes_or_reaches_the_monitor(live, kind, account_id, counterparty):
    desk = LiveAmlDesk(live)
    got = desk.submit(TransferInstruction(kind, account_id, counterparty, to_units("100.00")), "ADV-1")
    assert got["status"] == "BLOCKED" and got["executed"] is False and got["screen_party"] == "ACCT-9"
    assert desk.executed == {} and desk.monitor.transfers_seen == 0


# -- idempotency: client_transfer_id -------------------------------------------------------------------------
def keyed(amount: str = "2500.00", key: str = "TRQ-1", account_id: str = "ACCT-1", **fields) -> TransferInstruction:
    return TransferInstruction(TransferKind.EXTERNAL, account_id, "EXT-7", to_units(amount), "Jane Roe",
                               client_transfer_id=key, **fields)


def decided(live) -> list:
    return [e for e in live.log.read(0) if e.event_type is EventType.TRANSFER_DECIDED]


def test_a_retry_with_the_same_key_gets_the_first_decision_and_logs_nothing(live):
    desk = LiveAmlDesk(live)
    first = desk.enter(keyed(), "ADV-1")
    again = desk.enter(keyed(), "ADV-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.record == first.record and first.record["client_transfer_id"] == "TRQ-1"
    assert len(decided(live)) == 1 and len(desk.decisions()) == 1 and len(desk.executed) == 1
    rebuilt = LiveAmlDesk(live)  # a restart: the key comes back with the recorded decision
    assert rebuilt.enter(keyed(), "ADV-1") == again and len(decided(live)) == 1


@pytest.mark.parametrize("change", [
    {"amount": to_units("2500.01")}, {"counterparty": "EXT-8"}, {"kind": TransferKind.WITHDRAWAL},
    {"beneficiary_name": "John Doe"}, {"device_id": "DEV-2"}, {"country": "FR"},
])
def test_the_same_key_for_another_transfer_is_a_conflict_naming_the_key(live, change):
    desk = LiveAmlDesk(live)
    desk.enter(keyed(), "ADV-1")
    other = replace(keyed(), **change)
    with pytest.raises(IdempotencyConflict, match="client_transfer_id TRQ-1 .*ACCT-1"):
        desk.enter(other, "ADV-1")
    with pytest.raises(IdempotencyConflict):
        LiveAmlDesk(live).enter(other, "ADV-1")  # after a restart too
    assert len(decided(live)) == 1


def test_the_key_is_per_account_and_advisor_and_an_internal_transfers_ignored_name_does_not_matter(live):
    desk = LiveAmlDesk(live)
    desk.enter(keyed(), "ADV-1")
    assert desk.enter(keyed(account_id="ACCT-2"), "ADV-1").replayed is False  # another account: its own key
    with pytest.raises(IdempotencyConflict):
        desk.enter(keyed(), "ADV-7")  # another advisor reusing the key
    internal = TransferInstruction(TransferKind.INTERNAL, "ACCT-1", "ACCT-2", 10_000, "", client_transfer_id="I-1")
    first = desk.enter(internal, "ADV-1")
    named = TransferInstruction(TransferKind.INTERNAL, "ACCT-1", "ACCT-2", 10_000, "ignored", client_transfer_id="I-1")
    assert desk.enter(named, "ADV-1") == Submitted(first.record, replayed=True)
    unkeyed = keyed(key="")
    assert [desk.enter(unkeyed, "ADV-1").replayed for _ in range(2)] == [False, False]  # no key: each is new
    assert len(decided(live)) == 5


def test_a_keyed_decision_whose_append_fails_is_not_remembered(live, monkeypatch):
    desk = LiveAmlDesk(live)

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(live.platform.oms, "record_platform_event", broken)
    with pytest.raises(OSError):
        desk.enter(keyed(), "ADV-1")
    monkeypatch.undo()
    assert desk.enter(keyed(), "ADV-1").replayed is False and len(decided(live)) == 1

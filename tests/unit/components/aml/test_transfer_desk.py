"""The transfer desk: listed, perturbed and alias names are hard blocks, review-level names are flagged
and executed, both holders of an internal transfer are screened, every decision is recorded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.aml.screening import MatchRule, NameScreener, Outcome
from components.aml.transfer_desk import PartyRole, TransferDesk, TransferStatus
from components.aml.transfers import Transfer, TransferKind
from components.domain.money import PRICE_SCALE
from components.reference.sanctions import ListedName, SanctionsList

LIST = SanctionsList([ListedName("NORIEGA, Manuel Antonio", "1572", "individual"),
                      ListedName("GARCIA LOPEZ, Maria Jose", "9001", "individual"),
                      ListedName("EL TIGRE", "1572", "individual", "aka")], "TEST LIST")  # fmt: skip
HOLDERS = {"AC-1": "Jane Client", "AC-2": "John Client", "AC-3": "Manuel Noriega", "AC-4": "Maria Garsia Lopez"}
T0 = 1_795_530_600_000_000_000


@pytest.fixture
def desk() -> TransferDesk:
    return TransferDesk(NameScreener(LIST), HOLDERS.get)


def external(name: str, source: str = "AC-1", tid: str = "TR-1") -> Transfer:
    return Transfer(tid, T0, TransferKind.EXTERNAL, source, "EXT-0000001", 5_000 * PRICE_SCALE, "DV-1", "US", name)


@pytest.mark.parametrize("name", ["NORIEGA, Manuel Antonio", "manuel antonio noriega", "Manuel Antonio Noriegga",
                                  "Manuel Noriega", "El Tigre", "Maria José García López"])
def test_a_listed_perturbed_or_alias_beneficiary_is_blocked_with_the_evidence(desk, name):
    decision = desk.submit(external(name), T0 + 5)
    assert decision.status is TransferStatus.BLOCKED and not decision.executed
    worst = decision.worst
    assert worst.role is PartyRole.OUTSIDE_PARTY and worst.party == "EXT-0000001"
    assert worst.result.outcome is Outcome.BLOCK and worst.score_bp >= 9_000
    record = decision.to_record()
    assert record["matched_ent_num"] in {"1572", "9001"} and record["matched_list"] == "TEST LIST"
    assert record["status"] == "BLOCKED" and record["executed"] is False and record["decided_ns"] == T0 + 5
    assert record["screen_name"] == name and record["transfer_id"] == "TR-1" and name in decision.reason


def test_the_alias_is_reported_as_the_alias(desk):
    hit = desk.submit(external("El Tigre"), T0).worst.result.hit
    assert hit.listed_name == "EL TIGRE" and hit.alias_type == "aka" and hit.rule is MatchRule.EXACT


def test_a_clean_name_executes(desk):
    decision = desk.submit(external("Vincent York"), T0)
    assert decision.status is TransferStatus.EXECUTED and decision.executed and decision.reason == ""
    assert [s.role for s in decision.screens] == [PartyRole.SOURCE_HOLDER, PartyRole.OUTSIDE_PARTY]
    assert decision.to_record()["screen_score_bp"] == 0 and decision.to_record()["matched_name"] == ""


def test_a_review_level_name_is_flagged_and_executed(desk):
    decision = desk.submit(external("Maria Garsia Lopez"), T0)  # a typo and a dropped middle name: 85-90
    assert decision.status is TransferStatus.FLAGGED and decision.executed
    assert decision.worst.result.outcome is Outcome.REVIEW and 8_500 <= decision.worst.score_bp < 9_000
    assert "review" in decision.reason and decision.to_record()["matched_ent_num"] == "9001"


def test_a_sanctioned_holder_blocks_a_withdrawal_and_a_deposit(desk):
    out = Transfer("TR-2", T0, TransferKind.WITHDRAWAL, "AC-3", "BR-001", 100 * PRICE_SCALE)
    into = Transfer("TR-3", T0, TransferKind.DEPOSIT, "EXT-9", "AC-3", 100 * PRICE_SCALE, beneficiary_name="Pat Doe")
    for transfer in (out, into):
        decision = desk.submit(transfer, T0)
        assert decision.status is TransferStatus.BLOCKED and decision.worst.party == "AC-3"
    assert [s.role for s in desk.decisions[0].screens] == [PartyRole.SOURCE_HOLDER]  # cash: no outside name
    assert desk.decisions[1].worst.role is PartyRole.TARGET_HOLDER


@pytest.mark.parametrize("source, target, status, party", [
    ("AC-1", "AC-2", TransferStatus.EXECUTED, None),
    ("AC-1", "AC-3", TransferStatus.BLOCKED, "AC-3"),
    ("AC-3", "AC-1", TransferStatus.BLOCKED, "AC-3"),
    ("AC-4", "AC-1", TransferStatus.FLAGGED, "AC-4"),
    ("AC-4", "AC-3", TransferStatus.BLOCKED, "AC-3"),  # a block anywhere wins over a flag
])  # fmt: skip
def test_an_internal_transfer_screens_both_holders(desk, source, target, status, party):
    decision = desk.submit(Transfer("TR-4", T0, TransferKind.INTERNAL, source, target, PRICE_SCALE), T0)
    assert decision.status is status and len(decision.screens) == 2
    if party is not None:
        assert decision.worst.party == party


def test_an_unknown_account_is_rejected_never_executed(desk):
    decision = desk.submit(Transfer("TR-5", T0, TransferKind.INTERNAL, "AC-1", "AC-404", PRICE_SCALE), T0)
    assert decision.status is TransferStatus.REJECTED and not decision.executed and "AC-404" in decision.reason


def test_every_decision_is_recorded_in_order_with_its_own_id(desk):
    for n, name in enumerate(["Vincent York", "Manuel Noriega", "Maria Garsia Lopez"]):
        desk.submit(external(name, tid=f"TR-{n}"), T0 + n)
    assert [d.decision_id for d in desk.decisions] == ["TD-0000001", "TD-0000002", "TD-0000003"]
    assert [d.status for d in desk.decisions] == [TransferStatus.EXECUTED, TransferStatus.BLOCKED,
                                                  TransferStatus.FLAGGED]
    assert [d.transfer.transfer_id for d in desk.decisions] == ["TR-0", "TR-1", "TR-2"]


NAMES = st.one_of(st.sampled_from(["Manuel Noriega", "El Tigre", "Maria Garsia Lopez", "Vincent York", ""]),
                  st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(list(TransferKind)), source=st.sampled_from([*HOLDERS, "AC-404"]),
       target=st.sampled_from([*HOLDERS, "EXT-1"]), name=NAMES)
def test_any_instruction_is_decided_by_its_worst_screen(kind, source, target, name):
    """Whatever the instruction: blocked iff a party screened BLOCK, flagged iff none did and one
    screened REVIEW, rejected iff an account is unknown; never executed unless clean or flagged."""
    if kind is TransferKind.DEPOSIT:
        source, target = target, source
    try:
        transfer = Transfer("TR-H", T0, kind, source, target, PRICE_SCALE, beneficiary_name=name)
    except ValueError:
        return  # same party at both ends: not an instruction
    decision = TransferDesk(NameScreener(LIST), HOLDERS.get).submit(transfer, T0)
    outcomes = {s.result.outcome for s in decision.screens}
    accounts = [p for p in (transfer.source, transfer.target) if p.startswith("AC-")]
    if kind is TransferKind.INTERNAL:
        accounts = [transfer.source, transfer.target]
    if any(a not in HOLDERS for a in accounts):
        assert decision.status is TransferStatus.REJECTED
    elif Outcome.BLOCK in outcomes:
        assert decision.status is TransferStatus.BLOCKED
    elif Outcome.REVIEW in outcomes:
        assert decision.status is TransferStatus.FLAGGED
    else:
        assert decision.status is TransferStatus.EXECUTED
    assert decision.executed == (decision.status in (TransferStatus.EXECUTED, TransferStatus.FLAGGED))

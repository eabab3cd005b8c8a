"""Suitability findings, one per broken rule, each in words; and the append-only proposal audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from components.domain.orders import Side
from components.portfolio.audit import AuditAction, AuditRefused, ProposalAuditLog
from components.portfolio.households import InvestmentPolicy
from components.portfolio.proposals import ProposalReason, ProposedTrade
from components.portfolio.suitability import check
from components.portfolio.universe import RiskLevel
from tests.unit.components.portfolio.builders import AS_OF, PRICES, make_household, make_lot

OLD = AS_OF - timedelta(days=500)


def trade(account, symbol, side, qty):
    return ProposedTrade(account, symbol, side, qty, ProposalReason.DRIFT, "test", (), PRICES[symbol])


def codes(findings):
    return [f.code for f in findings]


def test_a_clean_proposal_has_no_findings():
    hh = make_household(InvestmentPolicy(RiskLevel.BALANCED, "balanced"), cash=(10_000, 0, 0))
    lots = [make_lot("s", "HH-1-TAX", "SPY", 10, 500, OLD), make_lot("a", "HH-1-IRA", "AGG", 50, 98.5, OLD)]
    assert check(hh, lots, [trade("HH-1-TAX", "VEA", Side.BUY, 10)], PRICES) == ()


@pytest.mark.parametrize("policy_kw, trades, cash, code, words", [
    (dict(restricted=frozenset({"VEA"})), [("HH-1-TAX", "VEA", Side.BUY, 10)], 10_000,
     "BUYS_RESTRICTED", "VEA is restricted by the IPS"),
    (dict(esg_exclusions=frozenset({"fossil_fuels"})), [("HH-1-TAX", "XOM", Side.BUY, 10)], 10_000,
     "BUYS_RESTRICTED", "ESG screen (fossil_fuels)"),
    ({}, [("HH-1-TAX", "SPY", Side.SELL, 11)], 10_000, "OVERSELLS", "holds 10"),
    ({}, [("HH-1-TAX", "SPY", Side.BUY, 100)], 10_000, "NEGATIVE_CASH", "HH-1-TAX would be $46000.0000 overdrawn"),
    (dict(cash_floor_bps=3_000), [("HH-1-TAX", "VEA", Side.BUY, 150)], 10_000,
     "CASH_BELOW_FLOOR", "below the IPS floor 30.00%"),
    (dict(max_position_bps=3_000), [("HH-1-TAX", "SPY", Side.BUY, 10)], 10_000,
     "POSITION_ABOVE_MAX", "SPY would weigh"),
])
def test_each_broken_rule_is_a_finding_in_words(policy_kw, trades, cash, code, words):
    hh = make_household(InvestmentPolicy(RiskLevel.GROWTH, "growth", **policy_kw), cash=(cash, 0, 0))
    lots = [make_lot("s", "HH-1-TAX", "SPY", 10, 500, OLD), make_lot("a", "HH-1-IRA", "AGG", 50, 98.5, OLD)]
    found = check(hh, lots, [trade(*t) for t in trades], PRICES)
    assert code in codes(found), found
    assert any(words in f.message for f in found if f.code == code), found


def test_risk_findings_name_the_profile():
    hh = make_household(InvestmentPolicy(RiskLevel.CONSERVATIVE, "balanced", max_position_bps=10_000), cash=(1_000, 0, 0))
    found = check(hh, [make_lot("s", "HH-1-TAX", "SPY", 100, 500, OLD)], [], PRICES)
    assert codes(found) == ["MODEL_RISK_ABOVE_PROFILE", "EQUITY_ABOVE_PROFILE"]
    assert "above 50.0% for a conservative profile" in found[1].message
    wash = check(hh, [], [trade("HH-1-IRA", "IVV", Side.BUY, 1)], PRICES, frozenset({"IVV"}))
    assert "BUYS_WASH_BLOCKED" in codes(wash)


def test_the_audit_log_is_append_only_and_refuses_what_history_does_not_allow():
    log = ProposalAuditLog()
    log.record("P1", AuditAction.OFFERED, "portfolio-engine", 10)
    log.record("P1", AuditAction.SEEN, "ADV-1", 20)
    accepted = log.record("P1", AuditAction.ACCEPTED, "ADV-1", 30, "client agreed by phone")
    assert accepted.seq == 3 and log.status("P1") is AuditAction.ACCEPTED
    with pytest.raises(AuditRefused, match="already accepted by ADV-1"):
        log.record("P1", AuditAction.REJECTED, "ADV-2", 40)
    with pytest.raises(AuditRefused, match="never offered"):
        log.record("P2", AuditAction.SEEN, "ADV-1", 40)
    log.record("P3", AuditAction.WITHHELD, "portfolio-engine", 40, "model riskier than profile")
    with pytest.raises(AuditRefused, match="withheld as unsuitable"):
        log.record("P3", AuditAction.ACCEPTED, "ADV-1", 50)
    with pytest.raises(AuditRefused, match="before the last record"):
        log.record("P1", AuditAction.SEEN, "ADV-1", 5)
    with pytest.raises(AuditRefused, match="actor must be named"):
        log.record("P1", AuditAction.SEEN, "", 50)
    before = log.records()
    assert [r.action for r in before] == [AuditAction.OFFERED, AuditAction.SEEN, AuditAction.ACCEPTED,
                                          AuditAction.WITHHELD]
    assert log.records() == before and [r.seq for r in before] == [1, 2, 3, 4]

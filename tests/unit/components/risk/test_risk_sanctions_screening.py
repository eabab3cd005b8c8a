"""Pre-trade sanctions policy on the fuzzy screener: onboarding results, hard blocks, review flags."""

from __future__ import annotations

from components.aml.onboarding import screen_accounts
from components.aml.screening import MatchRule, NameScreener, Outcome
from components.domain.events import Outcome as Verdict
from components.domain.money import PRICE_SCALE
from components.domain.orders import OrderSpec, OrderType, Side, TimeInForce
from components.rebuild.risk import dump
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import ListedName, SanctionsList
from components.risk import RiskEngine, RiskLimits
from components.risk.policies import SANCTIONS_REVIEW

D = PRICE_SCALE
T0 = 20_000 * 86_400 * 1_000_000_000 + 14 * 3_600 * 1_000_000_000

LIST = SanctionsList([ListedName("NORIEGA, Manuel Antonio", "1572", "individual"),
                      ListedName("GARCIA LOPEZ, Maria Jose", "9001", "individual")], "TEST LIST")  # fmt: skip


class Prices:
    def reference_price(self, symbol: str) -> int:
        return 100 * D


def directory(*names: str) -> AccountDirectory:
    return AccountDirectory(Account(f"A{i}", f"C{i}", name, "ADV1", cash=100_000 * D) for i, name in enumerate(names))


def order(account: str, coid: str = "c1") -> OrderSpec:
    return OrderSpec(account, "AAPL", Side.BUY, 10, OrderType.LIMIT, 100 * D, TimeInForce.DAY, "ADV1", coid)


def sanctions_decision(engine: RiskEngine, account: str):
    result = engine.check(f"O-{account}", order(account, f"c-{account}"), T0)
    return result, next(d for d in result.decisions if d.policy == "sanctioned_party")


def test_onboarding_screens_every_loaded_account_once_per_name():
    accounts = directory("Jane Client", "Manuel Noriega", "Manuel Noriega", "Maria Garcia")
    results = screen_accounts(accounts, NameScreener(LIST))
    assert list(results) == ["A0", "A1", "A2", "A3"]
    assert results["A1"] is results["A2"]  # same holder name: screened once
    assert [results[a].outcome for a in results] == [Outcome.CLEAR, Outcome.BLOCK, Outcome.BLOCK, Outcome.CLEAR]


def test_exact_block_records_the_listed_name_only_and_fuzzy_block_the_evidence():
    engine = RiskEngine(RiskLimits(), directory("Manuel Antonio NORIEGA", "Manuel Noriegga"), Prices(), LIST)
    result, exact = sanctions_decision(engine, "A0")
    assert not result.approved and exact.params == (("matched", "NORIEGA, Manuel Antonio"),)
    result, fuzzy = sanctions_decision(engine, "A1")
    assert not result.approved and fuzzy.reason_code == "SANCTIONED_PARTY"
    params = dict(fuzzy.params)
    assert params["matched"] == "NORIEGA, Manuel Antonio" and params["ent_num"] == "1572"
    assert params["list"] == "TEST LIST" and params["rule"] == MatchRule.JARO_WINKLER.value
    assert 9_000 <= params["score_bp"] < 10_000
    assert engine.screening("A1").hit.score_bp == params["score_bp"]  # the onboarding evidence


def test_review_band_is_flagged_and_approved_with_the_hit():
    engine = RiskEngine(RiskLimits(), directory("Maria Garcia", "Maria Jose Garcia Lopes"), Prices(), LIST)
    assert engine.screening("A0").outcome is Outcome.CLEAR  # two listed tokens unpaired: 84 < review 85
    assert engine.check("O0", order("A0", "c0"), T0).approved
    result, _ = sanctions_decision(engine, "A1")  # one typo, nothing unpaired: blocked
    assert not result.approved
    # A name in the review band: one typo plus a dropped middle name.
    engine = RiskEngine(RiskLimits(), directory("Maria Garsia Lopez"), Prices(), LIST)
    hit = engine.screening("A0").hit
    assert engine.screening("A0").outcome is Outcome.REVIEW and 85 <= hit.score < 90
    result, decision = sanctions_decision(engine, "A0")
    assert result.approved
    assert decision.outcome is Verdict.PASS and decision.reason_code == SANCTIONS_REVIEW
    assert dict(decision.params)["matched"] == "GARCIA LOPEZ, Maria Jose"
    assert result.first_failure is None


def test_set_sanctions_rescreens_with_the_fuzzy_screener_and_rebuild_sees_it():
    engine = RiskEngine(RiskLimits(), directory("Manuel Noriegga"), Prices(), SanctionsList(["SOMEONE, Else"]))
    assert engine.check("O1", order("A0", "x"), T0).approved
    engine.set_sanctions(LIST)
    assert engine.screening("A0").blocked
    assert engine.check("O2", order("A0", "y"), T0).first_failure.reason_code == "SANCTIONED_PARTY"
    assert dump(engine)["books"]["A0"]["sanctioned_match"] == "NORIEGA, Manuel Antonio"
    assert engine.screening("nope") is None

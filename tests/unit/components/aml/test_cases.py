"""AML cases: clustering by linked accounts, evidence and narrative, dispositions, and the SAR sign-off rule."""

from __future__ import annotations

import pytest

from components.aml.cases import (AmlCaseBook, BsaSignOff, CaseStatus, Disposition, DispositionRequired,
                                  SignOffRequired, WorkflowError)
from components.aml.feedback import observed_precision, retrain_with_cleared, tune_weights
from components.aml.findings import Finding, Source
from components.aml.monitor import Alert
from components.aml.scoring import ScoreParams
from components.aml.transfers import Typology

from .aml_kit import T0, tr


def alert(aid, accounts, detector="graph:fan_in", evidence=("T1",), ts=T0):
    f = Finding(detector, Source.GRAPH, "1.1", accounts[0], ts, Typology.FAN_IN, 1.0, (("min_degree", 5),),
                tuple(evidence), tuple(accounts[1:]))
    return Alert(aid, f"D{aid}", accounts[0], ts, 0.7, 0.6, (("rule", 0.0), ("graph", 0.7), ("anomaly", 0.0)),
                 Typology.FAN_IN, tuple(sorted(accounts)), tuple(evidence), (f,), "iforest-1.0/seed=1/n=100",
                 (("n_in", 5.0),), ({"source": accounts[-1], "target": accounts[0], "amount": 10, "count": 1},))


def test_alerts_on_linked_accounts_share_a_case_and_a_bridge_merges_cases():
    book = AmlCaseBook()
    c1 = book.add(alert("A1", ["X", "Y"]))
    c2 = book.add(alert("A2", ["Z"]))
    assert c1 != c2 and book.add(alert("A3", ["Y", "W"])) == c1
    assert book.add(alert("A4", ["W", "Z"])) == c1  # links both cases: one case now
    assert list(book.cases) == [c1] and book.case(c1).accounts == {"W", "X", "Y", "Z"}
    assert book.case_of("A2").case_id == c1


def test_case_evidence_pack_and_narrative():
    book = AmlCaseBook()
    cid = book.add(alert("A1", ["X", "Y"], evidence=("T1", "T2")))
    pack = book.case(cid).evidence_pack()
    assert pack["transfers"] == ["T1", "T2"] and pack["graph_excerpt"][0]["source"] == "Y"
    assert pack["alerts"][0]["model_version"] == "iforest-1.0/seed=1/n=100"
    assert pack["alerts"][0]["findings"][0]["params"] == {"min_degree": 5}
    t1, t2 = tr(0, "Y", "X", 100, tid="T1"), tr(1, "Y", "X", 50, tid="T2")
    text = book.case(cid).narrative({"T1": t1, "T2": t2})
    assert "graph:fan_in" in text and "X, Y" in text and "$150.0000" in text and "iforest-1.0" in text


@pytest.mark.parametrize("disposition,analyst,reason", [(None, "ann", "why"), (Disposition.FALSE_POSITIVE, "", "why"),
                                                         (Disposition.FALSE_POSITIVE, "ann", "")])
def test_an_alert_cannot_close_without_a_disposition(disposition, analyst, reason):
    book = AmlCaseBook()
    book.add(alert("A1", ["X"]))
    with pytest.raises(DispositionRequired, match="A1"):
        book.close_alert("A1", disposition, analyst, reason, T0)
    assert book.events == [] and book.case_of("A1").open_alerts == ["A1"]


def test_clearing_every_alert_closes_the_case():
    book = AmlCaseBook()
    cid = book.add(alert("A1", ["X"]))
    event = book.close_alert("A1", Disposition.FALSE_POSITIVE, "ann", "payroll", T0)
    assert event.disposition is Disposition.FALSE_POSITIVE and book.case(cid).status is CaseStatus.CLOSED
    with pytest.raises(WorkflowError, match="already closed"):
        book.close_alert("A1", Disposition.SUSPICIOUS, "ann", "again", T0)


def suspicious_case():
    book = AmlCaseBook()
    cid = book.add(alert("A1", ["X"]))
    book.close_alert("A1", Disposition.SUSPICIOUS, "ann", "mule pattern", T0)
    book.request_sar(cid, "ann", T0 + 1)
    return book, cid


def test_a_sar_cannot_be_filed_without_a_recorded_sign_off():
    book, cid = suspicious_case()
    with pytest.raises(SignOffRequired, match="sign-off"):
        book.file_sar(cid, T0 + 2)
    # a sign-off object that was never recorded in the book does not count
    book.case(cid).signoff = BsaSignOff("AMLB-forged", cid, "mallory", True, "", T0)
    with pytest.raises(SignOffRequired):
        book.file_sar(cid, T0 + 2)


def test_a_declined_sar_cannot_be_filed_and_an_approved_one_is():
    book, cid = suspicious_case()
    book.sign_off(cid, "bsa-officer", False, T0 + 3, "not enough")
    assert book.case(cid).status is CaseStatus.SAR_DECLINED
    with pytest.raises(SignOffRequired):
        book.file_sar(cid, T0 + 4)
    book2, cid2 = suspicious_case()
    signoff = book2.sign_off(cid2, "bsa-officer", True, T0 + 3)
    filed = book2.file_sar(cid2, T0 + 4)
    assert filed.signoff_event_id == signoff.event_id and filed.officer == "bsa-officer"
    assert book2.case(cid2).status is CaseStatus.SAR_FILED and "Case" in filed.narrative
    assert [type(e).__name__ for e in book2.events] == ["AlertClosed", "SarRequested", "BsaSignOff", "SarFiled"]


def test_a_sar_needs_a_suspicious_disposition_first():
    book = AmlCaseBook()
    cid = book.add(alert("A1", ["X"]))
    with pytest.raises(WorkflowError, match="suspicious"):
        book.request_sar(cid, "ann", T0)


def test_feedback_lowers_a_noisy_detectors_weight_and_retrains_on_cleared_alerts():
    noisy = [(alert(f"N{i}", ["X"], "graph:shared_beneficiary"), Disposition.FALSE_POSITIVE) for i in range(8)]
    noisy += [(alert("N9", ["X"], "graph:shared_beneficiary"), Disposition.SUSPICIOUS),
              (alert("N10", ["X"], "graph:shared_beneficiary"), Disposition.SUSPICIOUS)]
    good = [(alert(f"G{i}", ["X"], "graph:cycle"), Disposition.SUSPICIOUS) for i in range(6)]
    assert observed_precision(noisy + good)["graph:shared_beneficiary"] == (2, 10)
    tuned = tune_weights(ScoreParams(), noisy + good)
    assert tuned.detector_weight("graph:shared_beneficiary") == 0.5  # 0.2 / 0.8, floored at 0.5
    assert tuned.detector_weight("graph:cycle") == 1.0
    from dataclasses import replace

    from components.aml.anomaly import FEATURES
    rows = [tuple(float((i * j) % 7) for j in range(len(FEATURES))) for i in range(30)]
    cleared = [(replace(a, features=tuple((f, 3.0) for f in FEATURES)), d) for a, d in noisy]
    model = retrain_with_cleared(rows, cleared, seed=3)
    assert model.n_train == 30 + 8 and model.version.endswith("seed=3/n=38")  # the 8 cleared rows joined

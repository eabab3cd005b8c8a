"""Cases: clustering per party and pattern, and no close without an analyst's disposition."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from components.surveillance import (Alert, CaseBook, CaseStatus, Disposition, DispositionRequired, Pattern,
                                     UnknownCase)


def alert(party: str, pattern: Pattern = Pattern.SPOOFING, at: int = 1) -> Alert:
    return Alert(pattern, "d", "1.0", party, ("A1",), "AAPL", at, 3.0, ("O1",), ("E1",), (("min_orders", 3),))


def test_alerts_cluster_per_party_and_pattern():
    book = CaseBook()
    c1 = book.add(alert("p1"))
    assert book.add(alert("p1", at=2)) is c1 and len(c1.alerts) == 2
    assert book.add(alert("p2")) is not c1
    assert book.add(alert("p1", Pattern.WASH_TRADE)) is not c1
    assert book.funnel() == {"open": 3, "escalated": 0, "closed": 0}
    assert c1.to_record()["alerts"][0]["params"] == {"min_orders": 3}  # the evidence keeps the parameters


@pytest.mark.parametrize("disposition,analyst,reason", [
    (None, "ana", "looked"), ("", "ana", "looked"), ("dismiss", "ana", "looked"),
    (Disposition.FILE, "", "looked"), (Disposition.FILE, "ana", "  ")])
def test_closing_without_a_complete_disposition_is_refused(disposition, analyst, reason):
    book = CaseBook()
    case = book.add(alert("p1"))
    with pytest.raises(DispositionRequired, match=case.case_id):
        book.close(case.case_id, disposition, analyst, reason, 5)
    assert case.status is CaseStatus.OPEN and book.events == []


def test_close_without_arguments_is_refused():
    book = CaseBook()
    case = book.add(alert("p1"))
    with pytest.raises(DispositionRequired):
        book.close(case.case_id)


def test_escalate_then_file_records_events_and_a_new_alert_opens_a_new_case():
    book = CaseBook()
    case = book.add(alert("p1"))
    with pytest.raises(DispositionRequired, match="does not close"):
        book.close(case.case_id, Disposition.ESCALATE, "ana", "pattern repeats", 5)
    ev1 = book.dispose(case.case_id, "escalate", "ana", "pattern repeats", 5)
    assert case.status is CaseStatus.ESCALATED and ev1.status_after is CaseStatus.ESCALATED
    assert book.add(alert("p1", at=9)) is case  # still active: joins
    ev2 = book.close(case.case_id, Disposition.FILE, "bob", "SAR filed", 10)
    assert case.status is CaseStatus.CLOSED
    assert [e.to_record()["disposition"] for e in book.events] == ["escalate", "file"]
    assert ev2.analyst == "bob" and ev2.reason == "SAR filed" and ev2.event_id != ev1.event_id
    with pytest.raises(DispositionRequired, match="already closed"):
        book.dispose(case.case_id, "false_positive", "bob", "x", 11)
    assert book.add(alert("p1", at=12)) is not case


def test_unknown_case():
    with pytest.raises(UnknownCase):
        CaseBook().dispose("CASE-9", "file", "a", "b", 1)


@given(st.text(max_size=12), st.text(max_size=12), st.text(max_size=12))
def test_any_user_shaped_disposition_is_recorded_or_refused_with_one_line(disposition, analyst, reason):
    book = CaseBook()
    case = book.add(alert("p1"))
    try:
        event = book.dispose(case.case_id, disposition, analyst, reason, 1)
    except DispositionRequired as exc:
        assert "\n" not in str(exc) and case.case_id in str(exc) and case.status is CaseStatus.OPEN
    else:
        assert event.disposition.value == disposition and analyst.strip() and reason.strip()

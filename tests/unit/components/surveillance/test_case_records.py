"""A disposition as a stored record: decided without changing the book, written as event details, read
back and applied only to the case it was made on (live mode rebuilds its case book this way)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from components.surveillance import (Alert, CaseBook, CaseDisposed, CaseStatus, Disposition, DispositionRequired,
                                     Pattern, UnknownCase)


def alert(party: str, evidence: str = "E1", pattern: Pattern = Pattern.SPOOFING) -> Alert:
    return Alert(pattern, "d", "1.0", party, ("A1",), "AAPL", 1, 3.0, ("O1",), (evidence,), ())


def test_decide_changes_nothing_and_record_applies_it():
    book = CaseBook()
    case = book.add(alert("p1"))
    decided = book.decide(case.case_id, "file", " ana ", " reported ", 7)
    assert case.status is CaseStatus.OPEN and book.events == [] and decided.opened_by == ("E1",)
    book.record(decided)
    assert case.status is CaseStatus.CLOSED and book.events == [decided] and case.dispositions == [decided]
    assert book.add(alert("p1")).case_id != case.case_id  # a closed case takes no more alerts


def test_details_round_trip_with_the_records_time():
    book = CaseBook()
    case = book.add(alert("p1"))
    decided = book.decide(case.case_id, Disposition.ESCALATE, "ana", "desk head", 7)
    back = CaseDisposed.from_details(decided.to_details(), 7)
    assert back == decided and back.status_after is CaseStatus.ESCALATED


def test_a_rebuilt_book_applies_a_stored_disposition_to_the_same_case_only():
    first = CaseBook()
    first.add(alert("p1", "E1"))
    stored = first.dispose("CASE-000001", "file", "ana", "reported", 7).to_details()
    rebuilt = CaseBook()  # the same id now names a case opened by other evidence
    rebuilt.add(alert("p1", "E9"))
    with pytest.raises(DispositionRequired, match="other evidence"):
        rebuilt.record(CaseDisposed.from_details(stored, 7))
    other_party = CaseBook()
    other_party.add(alert("p2", "E1"))
    with pytest.raises(DispositionRequired, match="p2"):
        other_party.record(CaseDisposed.from_details(stored, 7))
    with pytest.raises(UnknownCase):
        CaseBook().record(CaseDisposed.from_details(stored, 7))
    for book in (rebuilt, other_party):
        assert book.funnel()["closed"] == 0 and book.events == []


def test_a_stored_disposition_on_a_closed_case_is_refused():
    book = CaseBook()
    book.add(alert("p1"))
    event = book.dispose("CASE-000001", "false_positive", "ana", "hedging", 7)
    with pytest.raises(DispositionRequired, match="already closed"):
        book.record(event)
    assert len(book.events) == 1


GOOD = CaseDisposed("CD-000001", "CASE-000001", "p1", Pattern.SPOOFING, Disposition.FILE, "ana", "r", 1,
                    CaseStatus.CLOSED, opened_by=("E1",)).to_details()


@given(key=st.sampled_from(sorted(GOOD)), value=st.one_of(st.none(), st.integers(), st.just(""), st.just("bogus"),
                                                           st.lists(st.integers(), min_size=1)))
def test_bad_details_fail_naming_the_field(key, value):
    details = {**GOOD, key: value}
    if key in ("disposition_id", "case_id", "party", "analyst", "reason") and value == "bogus":
        assert CaseDisposed.from_details(details, 1).to_details()[key] == "bogus"  # any text is fine there
        return
    with pytest.raises(ValueError) as exc:
        CaseDisposed.from_details(details, 1)
    message = str(exc.value)
    assert message.startswith("CaseDisposed details:") and "\n" not in message
    assert key in message or "bogus" in message or repr(value) in message


def test_details_that_are_not_an_object_are_refused():
    with pytest.raises(ValueError, match="not an object"):
        CaseDisposed.from_details(None, 1)

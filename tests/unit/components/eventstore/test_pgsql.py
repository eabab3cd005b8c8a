"""The PostgreSQL read path both runtimes share (``components.eventstore.pgsql``), over a fake fetch."""

from __future__ import annotations

from components.eventstore.chain import GENESIS
from components.eventstore.pgsql import (HEAD, STORED_ROWS, anchor_rows, compare_anchor_copies, head, stored_rows)


def test_compare_anchor_copies_allows_a_missing_table_copy_but_not_a_different_one():
    assert compare_anchor_copies(["a", "b", "c"], [(0, "a"), (1, "b"), (2, "c")]) == ("", "")
    assert compare_anchor_copies(["a", "b", "c"], [(0, "a"), (2, "c")]) == (
        "", "1 anchor(s) of the anchor file have no copy in the event_anchors table")
    assert "anchor 1 differs" in compare_anchor_copies(["a", "b"], [(0, "a"), (1, "x")])[0]
    assert "file was cut" in compare_anchor_copies(["a"], [(0, "a"), (1, "b")])[0]
    assert "file was cut" in compare_anchor_copies(None, [(0, "a")])[0]


def test_stored_rows_pages_through_a_gap_so_the_chain_check_sees_it():
    table = [(0,), (1,), (3,), (4,), (5,)]  # record 2 deleted: the chain check must see 1 then 3
    asked = []

    def fetch(query, params):
        assert query == STORED_ROWS
        last, _, page = params
        asked.append(last)
        return [r for r in table if last is None or r[0] > last][:page]

    assert list(stored_rows(fetch, 0, page=2)) == table
    assert asked == [None, 1, 4]  # keyed on the last offset seen, not on a count
    assert list(stored_rows(fetch, 3, page=10)) == [(3,), (4,), (5,)]


def test_head_of_an_empty_and_of_a_filled_log():
    assert head(lambda q, p: []) == (0, GENESIS)
    assert head(lambda q, p: [(41, "ab")] if q == HEAD else []) == (42, "ab")


def test_anchor_rows_is_none_without_the_table():
    assert anchor_rows(lambda q, p: [(False,)]) is None
    answers = iter([[(True,)], [(0, "x"), (1, "y")]])
    assert anchor_rows(lambda q, p: next(answers)) == [(0, "x"), (1, "y")]

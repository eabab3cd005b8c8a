"""``Refusals``: counts stay whole, the window of kept refusals is bounded when asked."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from components.platform import RefusedRequest, Refusals


def refusal(i: int, status: int = 422) -> RefusedRequest:
    return RefusedRequest(i, status, ("quantity",), f"bad {i}")


@given(keep=st.integers(1, 20), statuses=st.lists(st.sampled_from([403, 404, 409, 422]), max_size=60))
def test_a_bounded_window_keeps_counts_and_the_latest(keep, statuses):
    refusals = Refusals(keep=keep)
    for i, status in enumerate(statuses):
        before = refusals.count
        refusals.add(refusal(i, status))
        assert refusals.since(before) == [refusal(i, status)]  # what the API reads after each submission
    assert len(refusals) == refusals.count == len(statuses)
    assert sum(refusals.by_status.values()) == len(statuses)
    assert [r.submitted_ns for r in refusals] == list(range(len(statuses)))[-keep:]


def test_nothing_new_since_a_count_is_an_empty_list_and_the_twin_keeps_all():
    refusals = Refusals()
    assert refusals.since(0) == []
    for i in range(5_000):
        refusals.add(refusal(i))
    assert len(list(refusals)) == 5_000 and refusals.since(4_998) == [refusal(4_998), refusal(4_999)]

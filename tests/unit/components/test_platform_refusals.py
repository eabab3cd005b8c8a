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
        refusals.add(refusal(i, status))
        assert list(refusals)[-1] == refusal(i, status)
    assert len(refusals) == refusals.count == len(statuses)
    assert sum(refusals.by_status.values()) == len(statuses)
    assert [r.submitted_ns for r in refusals] == list(range(len(statuses)))[-keep:]


def test_none_kept_is_empty_and_the_twin_keeps_all():
    refusals = Refusals()
    assert list(refusals) == [] and len(refusals) == 0
    for i in range(5_000):
        refusals.add(refusal(i))
    assert len(list(refusals)) == 5_000 and list(refusals)[-2:] == [refusal(4_998), refusal(4_999)]

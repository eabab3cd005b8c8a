"""The API's order view renders times, money and decisions exactly as the plain formulas do."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given, strategies as st

from components.domain.events import Outcome, PolicyDecision
from components.domain.money import PRICE_SCALE
from live.views import decision_json, dollars, iso_utc

# 1970 .. 2200, in nanoseconds
NS = st.integers(min_value=0, max_value=7_258_118_400 * 1_000_000_000)


def _iso_reference(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, timezone.utc).replace(microsecond=rest // 1_000)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@given(st.lists(NS, min_size=1, max_size=20))
def test_iso_utc_is_the_datetime_rendering_in_any_order(moments):
    # Repeats, neighbours in the same second and jumps back in time all go through the per-second text.
    for ns in moments + [m + 1 for m in moments] + sorted(moments, reverse=True):
        assert iso_utc(ns) == _iso_reference(ns)


def test_iso_utc_across_a_second_boundary():
    base = 1_764_000_000 * 1_000_000_000
    for ns in (base - 1, base, base + 999_999_999, base + 1_000_000_000, base - 1):
        assert iso_utc(ns) == _iso_reference(ns)


@given(st.integers(min_value=-10**12, max_value=10**12), st.sampled_from([0, 2, 4, 6]))
def test_dollars_is_the_exact_decimal_rendering(units, places):
    expected = f"{Decimal(units) / PRICE_SCALE:.{places}f}"
    assert dollars(units, places) == expected
    assert dollars(units, places) == expected  # and again, from the cache


def test_dollars_keeps_none():
    assert dollars(None) is None and dollars(None, 4) is None


def test_a_shared_decision_renders_once_and_equal_to_its_record():
    shared = PolicyDecision("max_order_notional", "1.0", Outcome.PASS, "", (("limit", 5),))
    first = decision_json(shared)
    assert first == shared.to_record()
    assert decision_json(shared) is first  # the same object's record, not rendered again


def test_a_decision_with_a_mutable_param_is_rendered_each_time():
    window = [1, 2]
    decision = PolicyDecision("velocity", "1.0", Outcome.FAIL, "TOO_FAST", (("window", window),))
    assert decision_json(decision)["params"] == {"window": [1, 2]}
    window.append(3)  # a list parameter can change in place: its record must follow
    assert decision_json(decision)["params"] == {"window": [1, 2, 3]}


def test_equal_but_distinct_decisions_each_get_their_own_record():
    a = PolicyDecision("p", "1", Outcome.PASS, "", (("n", 1),))
    b = PolicyDecision("p", "1", Outcome.PASS, "", (("n", 2),))
    assert decision_json(a)["params"] == {"n": 1}
    assert decision_json(b)["params"] == {"n": 2}

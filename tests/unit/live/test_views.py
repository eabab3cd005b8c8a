"""The API's order view renders times, money and decisions exactly as the plain formulas do."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given, strategies as st

from components.domain.events import Outcome, PolicyDecision
from components.domain.money import PRICE_SCALE
from components.domain.orders import Order, OrderSpec, OrderStatus, OrderType, Side, TimeInForce
from live import views
from live.views import OrderViews, decision_json, dollars, iso_utc

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
    shared = PolicyDecision("max_order_notional", "1.0", Outcome.PASS)
    first = decision_json(shared)
    assert first == shared.to_record()
    assert decision_json(shared) is first  # the same object's record, not rendered again


def test_an_orders_own_decision_is_rendered_each_time_and_never_kept():
    # A decision with parameters belongs to one order: keeping it would fill the cache (and clearing a
    # full cache cost one request milliseconds), so it is rendered afresh, equal to its record.
    own = PolicyDecision("reservation", "1.0", Outcome.PASS, "", (("notional", 3_800_000), ("client_order_id", "C-1")))
    kept = len(views._DECISION_JSON)
    first = decision_json(own)
    assert first == own.to_record() and decision_json(own) == first
    assert decision_json(own) is not first and len(views._DECISION_JSON) == kept


@given(st.lists(st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(list(Outcome)),
                          st.lists(st.tuples(st.sampled_from(["n", "px"]), st.integers()), max_size=2)),
                min_size=1, max_size=30))
def test_decision_json_is_the_record_whatever_was_rendered_before(specs):
    decisions = [PolicyDecision(policy, "1.0", outcome, "", tuple(params)) for policy, outcome, params in specs]
    for decision in decisions + decisions[::-1]:
        assert decision_json(decision) == decision.to_record()


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


def _plain_view(order: Order, views: OrderViews) -> dict:
    """The order view as the plain formulas give it (enum ``.value``, each decision's record)."""
    spec = order.spec
    notes = views.notes.get(order.order_id, {})
    return {
        "order_id": order.order_id, "client_order_id": spec.client_order_id, "account_id": spec.account_id,
        "advisor_id": spec.advisor_id, "symbol": spec.symbol, "side": spec.side.value, "quantity": spec.quantity,
        "order_type": spec.order_type.value,
        "limit_price": None if spec.limit_price is None else f"{Decimal(spec.limit_price) / PRICE_SCALE:.2f}",
        "time_in_force": spec.time_in_force.value, "status": order.status.value,
        "status_reason": views.reasons.get(order.order_id, ""), "filled_quantity": order.filled_qty,
        "average_price": dollars(order.avg_price, 4) if order.filled_qty else None,
        "fees": f"{Decimal(order.fees) / PRICE_SCALE:.4f}",
        "accepted_at": _iso_reference(views.accepted_ns.get(order.order_id, order.created_ns)),
        "trace_id": order.trace_id,
        "risk_decisions": [d.to_record() for d in views.decisions.get(order.order_id, ())],
        "cancel_rejections": notes.get("cancel_rejections", []), "flags": notes.get("flags", []),
        "refused_messages": notes.get("refused_messages", []),
    }


@given(st.sampled_from(list(Side)), st.sampled_from(list(OrderType)), st.sampled_from(list(TimeInForce)),
       st.sampled_from(list(OrderStatus)), st.one_of(st.none(), st.integers(1, 10**9)), NS,
       st.lists(st.lists(st.tuples(st.just("n"), st.integers()), max_size=1), max_size=4))
def test_order_json_is_the_plain_rendering(side, kind, tif, status, price, created, params):
    views = OrderViews()
    order = Order("ORD-1", "TRC-1", OrderSpec("AC-1", "AAPL", side, 5, kind, price, tif, "ADV-1", "C-1"),
                  created, status=status, fees=price or 0)
    views.decisions[order.order_id] = tuple(PolicyDecision(f"p{i}", "1.0", Outcome.PASS, "", tuple(p))
                                            for i, p in enumerate(params))
    assert views.order_json(order) == _plain_view(order, views)

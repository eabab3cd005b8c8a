"""The OMS's and order entry's fast paths give what the plain ways give.

Each fast path (listeners skipped for events no listener acts on, an ACK applied before the other
report kinds are looked at, enum text from a table, account and advisor ids remembered once they
matched the id pattern) is checked against the plain behaviour it replaces.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components import order_entry
from components.domain.events import EventType as E
from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.outcomes import NextStep
from components.domain.venues import ExecKind, Liquidity
from components.oms import _TEXT
from components.order_entry import FieldError, _text, json_type

# The id rule as order entry publishes it, written out again: the remembered ids must not change it.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


# -- listeners ------------------------------------------------------------------------------------

def test_a_listener_given_kinds_is_not_called_for_events_no_listener_acts_on(world):
    seen = []
    world.oms.subscribe(lambda event, order: seen.append(event.event_type), {E.ORDER_FILLED})
    order, (child,) = world.routed(("XNAS", 100))
    assert seen == []  # received, validated, approved, routed: no listener acts on them
    world.deliver(world.fill(child, 100, 1_900_000, leaves=0))
    assert seen == [E.ORDER_FILLED]
    assert world.types(order.order_id)[-1] is E.ORDER_FILLED  # the events themselves are all recorded


def test_every_listener_sees_an_event_some_listener_acts_on(world):
    narrow, every = [], []
    world.oms.subscribe(lambda event, order: narrow.append(event.event_type), {E.ORDER_VALIDATED})
    world.oms.subscribe(lambda event, order: every.append(event.event_type))
    order = world.new()
    world.oms.validate(order.order_id, lambda account: True)
    # The narrow listener filters for itself (as Platform._on_event does): it is not promised silence.
    assert every == [E.ORDER_RECEIVED, E.ORDER_VALIDATED]
    assert narrow == [E.ORDER_RECEIVED, E.ORDER_VALIDATED]


def test_a_platform_event_reaches_only_listeners_acting_on_its_kind(world):
    booked, every = [], []
    world.oms.subscribe(lambda event, order: booked.append(event.event_type), {E.ORDER_FILLED})
    world.oms.record_platform_event(E.TRADING_STATE_CHANGED, "ops", {"state": "HALTED"})
    assert booked == []
    world.oms.subscribe(lambda event, order: every.append((event.event_type, order)))
    world.oms.record_platform_event(E.TRADING_STATE_CHANGED, "ops", {"state": "ACTIVE"})
    assert every == [(E.TRADING_STATE_CHANGED, None)]


# -- ACK first ------------------------------------------------------------------------------------

def test_an_ack_for_a_working_child_marks_it_at_the_venue_and_records_nothing(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.oms.awaiting_venue[child.child_id] = child  # as if never handed to the gateway
    before = len(world.log)
    assert world.deliver(world.report(ExecKind.ACK, child, leaves_qty=100)) is NextStep.NOTHING
    assert child.child_id not in world.oms.awaiting_venue
    assert len(world.log) == before and order.open_children == {child.child_id: 100}


def test_an_ack_for_an_unknown_order_or_a_closed_child_changes_nothing(world):
    order, (child,) = world.routed(("XNAS", 100))
    world.deliver(world.fill(child, 100, 1_900_000, leaves=0))  # the child is done
    world.oms.awaiting_venue[child.child_id] = child  # a stale entry an ACK for a closed child must not touch
    before = len(world.log)
    assert world.deliver(world.report(ExecKind.ACK, child, leaves_qty=0)) is NextStep.NOTHING
    stranger = replace(world.report(ExecKind.ACK, child), order_id="ORD-NOPE")
    assert world.deliver(stranger) is NextStep.NOTHING
    assert child.child_id in world.oms.awaiting_venue and len(world.log) == before


# -- enum text ------------------------------------------------------------------------------------

@pytest.mark.parametrize("member", [*Side, *OrderType, *TimeInForce, *Liquidity])
def test_the_text_table_gives_each_members_value(member):
    assert _TEXT[member] == member.value and type(_TEXT[member]) is str


def test_an_events_side_type_tif_and_liquidity_are_plain_text(world):
    order, (child,) = world.routed(("XNAS", 100), side=Side.SELL)
    world.deliver(world.fill(child, 100, 1_900_000, leaves=0, liquidity=Liquidity.MAKER))
    fill = world.events(order.order_id)[-1]
    assert (fill.side, fill.order_type, fill.time_in_force, fill.detail("liquidity")) == (
        "SELL", order.spec.order_type.value, order.spec.time_in_force.value, "MAKER")
    assert all(type(v) is str for v in (fill.side, fill.order_type, fill.time_in_force, fill.detail("liquidity")))


# -- remembered ids -------------------------------------------------------------------------------

def plain_text(body: dict, name: str) -> tuple[str | None, list[FieldError]]:
    """``_text`` as it was before ids were remembered: the type check, then the pattern."""
    value, errors = body.get(name), []
    if not isinstance(value, str):
        errors.append(FieldError(name, f"must be a string, got {json_type(value)}"))
        return None, errors
    if not _ID.fullmatch(value):
        errors.append(FieldError(name, "must be 1-64 letters, digits or ._:- starting with a letter or digit"))
        return None, errors
    return value, errors


ids = st.one_of(st.from_regex(_ID, fullmatch=True), st.text(max_size=70), st.integers(), st.none(),
                st.lists(st.text(max_size=3), max_size=2))


@settings(max_examples=300)
@given(value=ids)
def test_a_remembered_id_gives_what_the_pattern_gives(value):
    body = {"account_id": value}
    expected = plain_text(body, "account_id")
    for _ in range(2):  # the first call may remember it, the second may find it remembered
        errors: list[FieldError] = []
        assert (_text(body, "account_id", errors, True), errors) == expected


def test_only_ids_that_matched_are_remembered_and_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(order_entry, "_MATCHED_IDS", set())
    monkeypatch.setattr(order_entry, "_MATCHED_IDS_MAX", 3)
    for value in ("A1", "bad id", "-A", "A2", "A3"):
        _text({"x": value}, "x", [], True)
    assert order_entry._MATCHED_IDS == {"A1", "A2", "A3"}
    _text({"x": "A4"}, "x", [], True)  # full: emptied, then this one kept
    assert order_entry._MATCHED_IDS == {"A4"}
    _text({"x": "C-1"}, "x", [], False)  # a client order id: never remembered
    assert order_entry._MATCHED_IDS == {"A4"}

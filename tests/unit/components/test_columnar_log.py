"""ColumnarEventLog: the same port and the same events as InMemoryEventLog, kept as columns."""

from __future__ import annotations

import enum
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.columnar_log import (ColumnarEventLog, DecisionsColumn, DetailsColumn, IntColumn, ObjectColumn,
                                     TextColumn, TypeColumn, pack_events, seal)
from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.eventstore import decode, encode
from components.memory import InMemoryEventLog

FIXTURE = Path(__file__).parent / "eventstore" / "fixtures" / "v1_log.jsonl"


def fixture_events() -> list[OrderEvent]:
    """66 events of every event type of the v1 format, with details and decisions."""
    return [decode(line) for line in FIXTURE.read_bytes().splitlines()]


def exactly_equal(a: OrderEvent, b: OrderEvent) -> bool:
    """Equal field by field, with the same types (1 == True == 1.0, but they are written differently),
    and details with the same key order."""
    if a != b or [type(x) for x in a] != [type(x) for x in b]:
        return False
    return not a.details or list(a.details) == list(b.details)


def filled(events, chunk_size: int = 7, compress: bool = True) -> ColumnarEventLog:
    log = ColumnarEventLog(chunk_size, compress)
    for event in events:
        log.append(event)
    return log


def test_reads_back_every_event_type_exactly_and_to_the_same_canonical_bytes():
    events = fixture_events()
    log = filled(events)
    back = list(log.read())
    assert len(log) == len(events) == len(back)
    assert all(exactly_equal(a, b) for a, b in zip(events, back))
    assert [encode(e) for e in back] == [encode(e) for e in events]


def test_append_returns_the_offset_and_read_starts_there_like_the_list_log():
    events = fixture_events()[:20]
    log, plain = ColumnarEventLog(6), InMemoryEventLog()
    for event in events:
        assert log.append(event) == plain.append(event)
    for start in (0, 1, 5, 6, 7, 12, 18, 19, 20, 25):
        assert list(log.read(start)) == list(plain.read(start)), start
    assert list(log) == events
    assert log.column("event_id") == [e.event_id for e in events]


def test_a_read_sees_the_log_as_it_was_when_it_started():
    events = fixture_events()[:12]
    log = filled(events[:5], chunk_size=4)
    reading = log.read(0)
    first = next(reading)
    for event in events[5:]:  # seals a chunk while the read is under way
        log.append(event)
    assert [first, *reading] == events[:5]
    assert list(log.read(0)) == events


def test_the_usual_values_are_kept_in_typed_buffers_not_as_objects():
    chunk = seal(fixture_events())
    kinds = {name: type(column) for name, column in chunk.columns.items()}
    assert kinds["event_type"] is TypeColumn
    assert kinds["timestamp_utc"] is kinds["quantity"] is kinds["limit_price"] is IntColumn
    assert kinds["event_id"] is kinds["symbol"] is kinds["actor"] is TextColumn
    assert kinds["policy_decisions"] is DecisionsColumn
    assert kinds["details"] is DetailsColumn and chunk.columns["details"].kept is None
    assert chunk.columns["limit_price"].nulls is not None  # market orders have no limit


class Side(str, enum.Enum):
    BUY = "BUY"


class Level(enum.IntEnum):
    ONE = 1


def test_values_a_buffer_would_alter_are_kept_as_they_are():
    base = fixture_events()[0]
    odd = [
        base._replace(side=Side.BUY),  # a str subclass: a text buffer would give back plain str
        base._replace(quantity=Level.ONE),  # an IntEnum: an int buffer would give back plain int
        base._replace(timestamp_utc=2**70),  # beyond 64 bits
        base._replace(actor="a\x00b"),  # holds the text buffer's separator
        base._replace(details={"px": Decimal("1.5")}),  # not a JSON type: pickled as the Decimal it is
        base._replace(details=MappingProxyType({"b": 1, "a": (1, 2)})),  # pickle refuses it: kept as is
        base._replace(details={"b": 1.0, "a": True, "c": (1, [2, {"x": None}]), 3: -0.0}),  # types and order
    ]
    for event in odd:
        back = list(filled([base, event, base], chunk_size=2).read())
        assert exactly_equal(back[1], event), event
        assert all(exactly_equal(a, b) for a, b in zip(back, [base, event, base]))
    chunk = seal(odd)
    assert type(chunk.columns["side"]) is ObjectColumn
    assert type(chunk.columns["quantity"]) is ObjectColumn
    assert type(chunk.columns["actor"]) is ObjectColumn
    assert set(chunk.columns["details"].kept) == {5}


def test_decisions_come_back_as_the_very_same_objects():
    decision = PolicyDecision("limits", "1", Outcome.PASS, params=(("max", 1),))
    same, other = (decision,), (decision,)
    base = fixture_events()[0]
    events = [base._replace(policy_decisions=d) for d in (same, other, same, ())]
    back = list(filled(events, chunk_size=10).read())
    assert [e.policy_decisions for e in back] == [e.policy_decisions for e in events]
    assert all(b.policy_decisions is e.policy_decisions for b, e in zip(back, events))


def test_bad_chunk_sizes_are_refused_with_the_figure():
    with pytest.raises(ValueError, match="chunk_size must be 1..65536, not 0"):
        ColumnarEventLog(0)
    with pytest.raises(ValueError, match="at most 65,536 events, not 65,537"):
        seal([fixture_events()[0]] * 65_537)


_text = st.text(max_size=6)
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False), _text,
                    st.integers(-2**63, 2**63 - 1).map(np.int64), st.floats(allow_nan=False).map(np.float64),
                    st.binary(max_size=4).map(bytearray))
_json_like = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner), st.dictionaries(_text, inner, max_size=3)), max_leaves=8)


@st.composite
def events(draw) -> OrderEvent:
    integer = st.integers(-2**66, 2**66)
    return OrderEvent(
        draw(st.sampled_from(list(EventType))), draw(_text), draw(_text), draw(integer), draw(integer),
        draw(_text), draw(integer), draw(_text), draw(_text), draw(st.one_of(_text, st.just(Side.BUY), _text.map(np.str_))),
        draw(st.one_of(integer, st.just(Level.ONE), st.integers(-2**63, 2**63 - 1).map(np.int64))), draw(_text), draw(st.one_of(st.none(), integer)),
        draw(_text), draw(_text),
        draw(st.sampled_from([(), (PolicyDecision("p", "1", Outcome.FAIL, "X", (("v", 1.5),)),)])),
        draw(st.one_of(st.none(), st.dictionaries(_text, _json_like, max_size=4))), draw(_text))


@settings(max_examples=60, deadline=None)
@given(st.lists(events(), max_size=12), st.integers(1, 5), st.booleans())
def test_any_events_read_back_exactly(items, chunk_size, compress):
    back = list(filled(items, chunk_size, compress).read())
    assert len(back) == len(items)
    assert all(exactly_equal(a, b) for a, b in zip(items, back))


def test_a_read_leaves_the_log_as_it_was_and_appends_go_on_being_packed():
    events = fixture_events()
    log = filled(events[:30], chunk_size=4)
    out = list(log.read())
    assert out == events[:30] and list(log.read()) == out
    out.clear()  # the caller's own list: the log does not hold it
    assert list(log.read()) == events[:30]
    for event in events[30:]:  # appends after it, offsets continuing
        assert log.append(event) == len(log) - 1
    assert list(log.read(28)) == events[28:] and len(log.chunks()) == -(-len(events) // 4)


def test_an_empty_chunk_has_empty_columns():
    chunk = seal([])
    assert chunk.events() == [] and all(chunk.column(name) == [] for name in OrderEvent._fields)


def test_sealed_chunks_are_packed_smaller_and_give_the_same_columns_and_events():
    events = fixture_events()
    packed, plain = filled(events, 33), filled(events, 33, compress=False)
    assert [c.packed for c in packed.chunks()] == [True, True] and not any(c.packed for c in plain.chunks())
    assert packed.nbytes() < plain.nbytes() / 2
    for a, b in zip(packed.chunks(), plain.chunks()):
        assert {n: type(c) for n, c in a.columns.items()} == {n: type(c) for n, c in b.columns.items()}
        assert all(a.column(name) == b.column(name) for name in OrderEvent._fields)
        assert all(x is y for x, y in zip(a.column("policy_decisions"), b.column("policy_decisions")))
    back = list(packed.read())
    assert all(exactly_equal(a, b) for a, b in zip(events, back)) and len(back) == len(events)


def test_a_chunk_holding_a_value_pickle_refuses_is_not_packed():
    base = fixture_events()[0]
    odd = base._replace(details=MappingProxyType({"px": 1}))
    chunk = seal([base, odd])
    assert chunk.pack() is chunk and not chunk.packed
    direct = pack_events([base, odd])  # the log's path: sealed as columns, the odd one kept as an object
    assert not direct.packed and all(exactly_equal(a, b) for a, b in zip(direct.events(), [base, odd]))
    assert {n: type(c) for n, c in direct.columns.items()} == {n: type(c) for n, c in chunk.columns.items()}
    chunk = seal([base, base]).pack()
    assert chunk.packed and chunk.pack() is chunk
    assert pack_events([base, base]).packed
    for odd in (base._replace(side=Side.BUY), base._replace(details={"px": Decimal("1.5")})):  # pickled exactly
        packed = seal([base, odd]).pack()
        assert packed.packed and all(exactly_equal(a, b) for a, b in zip(packed.events(), [base, odd]))


def _buffer_values() -> list[tuple[str, object]]:
    """Values with the buffer protocol, which ``marshal`` writes as plain ``bytes`` (an outside review
    found the log giving them back so when it packed with marshal): numpy scalars and a bytearray."""
    return [("quantity", np.int64(100)), ("limit_price", np.float64(1.5)), ("symbol", np.str_("XYZ")),
            ("side", bytearray(b"BUY")), ("details", {"px": np.float64(1.5), "n": np.int64(3)}),
            ("details", {"flag": np.bool_(True), "raw": bytearray(b"ab")})]


@pytest.mark.parametrize("compress", [True, False])
def test_values_with_the_buffer_protocol_come_back_as_their_own_type(compress):
    base = fixture_events()[0]
    for field, value in _buffer_values():
        event = base._replace(**{field: value})
        back = list(filled([base, event, base], chunk_size=2, compress=compress).read())
        assert exactly_equal(back[1], event), (field, value, back[1])
        if field == "details":
            assert [type(v) for v in back[1].details.values()] == [type(v) for v in value.values()]
    chunk = pack_events([base._replace(quantity=np.int64(7)) for _ in range(3)])
    assert chunk.packed and type(chunk.events()[0].quantity) is np.int64


def test_packing_the_events_directly_gives_the_sealed_chunks_columns_and_events():
    events = fixture_events()
    direct, sealed = pack_events(events), seal(events)
    assert direct.packed and not sealed.packed
    assert {n: type(c) for n, c in direct.columns.items()} == {n: type(c) for n, c in sealed.columns.items()}
    assert all(direct.column(name) == sealed.column(name) for name in OrderEvent._fields)
    assert all(x is y for x, y in zip(direct.column("policy_decisions"), sealed.column("policy_decisions")))
    assert all(exactly_equal(a, b) for a, b in zip(events, direct.events())) and direct.size == len(events)
    assert pack_events([]).events() == []
    with pytest.raises(ValueError, match="at most 65,536 events, not 65,537"):
        pack_events([events[0]] * 65_537)

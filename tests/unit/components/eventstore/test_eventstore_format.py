"""The storage format: old logs still read and verify, the fast codec writes the canonical bytes
exactly, and the one-pass verified read finds what ``verify`` finds."""

from __future__ import annotations

import json
import math
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.eventstore import SqliteEventStore, decode, encode
from components.eventstore.chain import ChainBroken
from components.eventstore.codec import FORMAT, canonical, from_record, query_columns
from components.eventstore.sqlite import TRIGGERS

FIXTURES = Path(__file__).parent / "fixtures"
NEWER_THAN_V1 = {"TransferDecided", "AmlAccountsEvaluated", "AmlAlertClosed", "SarRequested", "BsaSignOff",
                 "SarFiled"}
"""Event types added after the v1 fixture was written (live AML, issue 20): the fixture cannot hold them."""


def reference(record) -> bytes:
    """The canonical form as first defined (standard library), independent of the codec's fast path."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("utf-8")


@pytest.fixture
def v1_log(tmp_path) -> Path:
    """A copy of the log written by the code before the format marker (fixtures/make_v1_log.py)."""
    path = tmp_path / "events.sqlite"
    shutil.copy(FIXTURES / "v1_log.sqlite", path)
    return path


def v1_lines() -> list[bytes]:
    return (FIXTURES / "v1_log.jsonl").read_bytes().splitlines()


def test_the_fixture_is_an_unmarked_log_with_every_event_type(v1_log):
    con = sqlite3.connect(v1_log)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 0
    kinds = {json.loads(line)["event_type"] for line in v1_lines()}
    assert kinds == {t.value for t in EventType} - NEWER_THAN_V1
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == len(v1_lines()) == 66
    con.close()


def test_an_old_log_reads_back_to_the_same_canonical_bytes_and_verifies(v1_log):
    lines = v1_lines()
    with SqliteEventStore(v1_log, read_only=True) as store:
        assert store.format == 1
        events = list(store.read())
        assert [encode(e) for e in events] == lines
        result = store.verify()
        assert result.ok and result.count == len(lines)
        assert list(store.read_verified(expected_head=result.head)) == events
        # The stored payloads are the very bytes written then (the chain covers them).
        assert [row[1].encode() for row in store.stored_rows()] == lines


def test_an_old_log_appended_to_keeps_its_records_and_chain(v1_log):
    with SqliteEventStore(v1_log, read_only=True) as store:
        old_head, first = store.head_hash, next(iter(store.read()))
    extra = first._replace(event_id="EV-APPENDED", stream_seq=99)
    with SqliteEventStore(v1_log) as store:
        assert store.append(extra) == 66
        assert store.verify().ok
        assert [row[2] for row in store.stored_rows(66)] == [old_head]  # linked to the old head
        assert [encode(e) for e in store.read()][:66] == v1_lines()
    # Marked with its own format (1), not the newest (FORMAT): it is still appended to as format 1.
    assert sqlite3.connect(v1_log).execute("PRAGMA user_version").fetchone()[0] == 1 != FORMAT


def test_a_log_of_an_unknown_format_is_refused_with_its_path(v1_log):
    con = sqlite3.connect(v1_log)
    con.execute("PRAGMA user_version = 99")
    con.close()
    for read_only in (True, False):
        with pytest.raises(ValueError, match=r"events\.sqlite: event log format 99 .*formats 1"):
            SqliteEventStore(v1_log, read_only=read_only)


@pytest.mark.parametrize("format", [1, FORMAT])
def test_a_new_log_is_marked_with_the_format(tmp_path, format):  # noqa: A002
    with SqliteEventStore(tmp_path / "new.sqlite", format=format) as store:
        assert store.format == format
    assert sqlite3.connect(tmp_path / "new.sqlite").execute("PRAGMA user_version").fetchone()[0] == format


# -- the fast codec writes exactly the canonical bytes ----------------------------------------------
# Mostly printable ASCII, so most records can take the fast path; any text now and then.
ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=6)
some_text = st.one_of(ascii_text, ascii_text, ascii_text, st.text(max_size=4))
# Floats are where msgspec and the standard library write differently (1e-05, 1e+16, NaN): make them common.
hard_floats = st.sampled_from([1e-05, 1e16, 1.5e300, float("nan"), float("inf"), -0.0, 5e-324, 0.1, 2.5])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63 - 5, max_value=2**70),
    hard_floats, st.floats(allow_nan=True, allow_infinity=True), some_text,
    st.sampled_from(["plain", "naïve", "\x7f", "\x00\n\t\"\\", "✓", "1e5"]),
)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(some_text, inner, max_size=3), max_leaves=10)
shared = PolicyDecision("trading_state", "1.0", Outcome.PASS)  # one object in many events, as the risk engine does
decisions = st.one_of(
    st.just(shared),
    st.builds(PolicyDecision, st.sampled_from(["concentration", "reservation", "prix ✓"]), st.just("1.0"),
              st.sampled_from(list(Outcome)), st.sampled_from(["", "LIMIT"]),
              st.lists(st.tuples(some_text, scalars | st.lists(scalars, max_size=2)), max_size=3)
              .map(lambda pairs: tuple(dict(pairs).items()))),
)
events = st.builds(
    OrderEvent, event_type=st.sampled_from(list(EventType)), event_id=ascii_text.filter(bool),
    trace_id=some_text, timestamp_utc=st.integers(0, 2**63 - 1), recorded_at=st.integers(0, 2**63 - 1),
    order_id=some_text, stream_seq=st.integers(0, 10**6), account_id=some_text,
    symbol=st.sampled_from(["AAPL", "SPY"]), side=st.sampled_from(["BUY", "SELL"]), quantity=st.integers(0, 10**9),
    order_type=st.sampled_from(["LIMIT", "MARKET"]), limit_price=st.none() | st.integers(0, 10**12),
    time_in_force=st.just("DAY"), actor=some_text,
    policy_decisions=st.lists(decisions, max_size=4).map(tuple),
    details=st.none() | st.dictionaries(some_text, json_values, min_size=1, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(events)
def test_encode_is_byte_for_byte_the_standard_librarys_canonical_json(event):
    data = encode(event)
    assert data == reference(event.to_record())
    assert encode(event) == data  # again, now with cached decisions
    assert canonical(event.to_record()) == data


@settings(max_examples=300, deadline=None)
@given(events)
def test_decode_gives_what_the_standard_library_path_gives(event):
    data = encode(event)
    back = decode(data)
    expected = from_record(json.loads(data))
    if any(isinstance(v, float) and math.isnan(v) for v in _leaves(expected.details)):
        assert encode(back) == encode(expected)  # NaN != NaN: compare the bytes instead
    else:
        assert back == expected
    assert encode(back) == data
    assert decode(data.decode("ascii")) == back or encode(decode(data.decode("ascii"))) == data
    assert query_columns(data) == (event.event_id, event.order_id, event.stream_seq, event.timestamp_utc,
                                   event.recorded_at)


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def test_values_the_fast_path_must_not_take_are_written_as_before():
    base = decode(v1_lines()[0])
    for details in ({"x": 1e-05}, {"x": float("nan")}, {"x": 1e16}, {"x": "é"}, {"x": "\x7f"}, {1: "int key"},
                    {"x": 2**80}, {"x": EventType.ORDER_FILLED}):
        event = base._replace(details=details)
        assert encode(event) == reference(event.to_record()), details
    with pytest.raises(TypeError):  # what the standard library refuses stays refused
        encode(base._replace(details={"x": object()}))


def test_bad_payloads_fail_as_they_always_did():
    with pytest.raises(ValueError):
        decode(b"{not json")
    with pytest.raises(KeyError):
        decode(b'{"event_type": "OrderFilled"}')
    with pytest.raises(ValueError, match="not an event record"):
        query_columns(b'{"event_id": "x"}')
    with pytest.raises(ValueError):
        query_columns(b"[1, 2]")


# -- one pass: read, decode and verify ---------------------------------------------------------------
def tampered(path: Path, sql: str) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    for name in TRIGGERS:
        con.execute(f"DROP TRIGGER {name}")
    con.execute(sql)
    con.close()


@pytest.mark.parametrize("sql, offset, kind", [
    ("""UPDATE events SET payload = replace(payload, '"quantity":', '"quantity":1') WHERE "offset" = 7""", 7,
     "changed"),
    ('DELETE FROM events WHERE "offset" = 12', 12, "deleted"),
    ("""UPDATE events SET stream = 'ORD-ELSEWHERE' WHERE "offset" = 20""", 20, "columns"),
])
def test_the_verified_read_stops_at_the_first_bad_record(v1_log, sql, offset, kind):
    with SqliteEventStore(v1_log, read_only=True) as store:
        expected = list(store.read())
    tampered(v1_log, sql)
    with SqliteEventStore(v1_log, read_only=True) as store:
        assert store.verify().offset == offset
        got = []
        with pytest.raises(ChainBroken) as caught:
            for event in store.read_verified():
                got.append(event)
    assert caught.value.result.offset == offset and caught.value.result.kind == kind
    assert got == expected[:offset]


def test_the_verified_read_checks_the_expected_head_and_reads_a_suffix(v1_log):
    with SqliteEventStore(v1_log, read_only=True) as store:
        everything = list(store.read())
        assert list(store.read_verified(60)) == everything[60:]
        with pytest.raises(ChainBroken, match="expected"):
            list(store.read_verified(expected_head="f" * 64))


def test_decisions_differing_only_by_false_zero_or_one_point_oh_decode_apart():
    """0 == False == 0.0 in Python (and hash alike): a decision cache keyed on values alone mixed them up."""
    base = decode(v1_lines()[0])
    for value in (0, False, 0.0, 1, True, 1.0):
        event = base._replace(policy_decisions=(PolicyDecision("p", "1.0", Outcome.PASS, "", (("x", value),)),))
        data = encode(event)
        assert encode(decode(data)) == data, value
        assert encode(from_record(json.loads(data))) == data, value

"""The event store's fast paths (issue 19) give what the general paths give.

``encode`` writes a plain event straight from its tuple (no ``to_record()`` dict); readers take
payloads as the stored bytes (``CAST(payload AS BLOB)``) and check the chain inline, handing the
first bad row to the general check. The hypothesis tests in ``test_eventstore_format.py`` prove the
bytes equal the standard library's; these prove the fast paths are the ones taken, and that the
cases they must not handle still go the general way.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.eventstore import SqliteEventStore, encode
from components.eventstore.chain import ChainBroken
from components.eventstore.sqlite import TRIGGERS


def reference(event: OrderEvent) -> bytes:
    return json.dumps(event.to_record(), sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def an_event(i: int = 0, **overrides) -> OrderEvent:
    fields = dict(event_type=EventType.ORDER_RISK_APPROVED, event_id=f"EV-{i}", trace_id=f"TRC-{i}",
                  timestamp_utc=1_000 + i, recorded_at=1_001 + i, order_id=f"ORD-{i // 3}", stream_seq=i % 3 + 1,
                  account_id="AC-1", symbol="AAPL", side="BUY", quantity=100, order_type="LIMIT",
                  limit_price=1_900_000, time_in_force="DAY", actor="risk",
                  policy_decisions=(PolicyDecision("trading_state", "1.0", Outcome.PASS),
                                    PolicyDecision("concentration", "1.0", Outcome.PASS, "",
                                                   (("limit_bps", 4000),))),
                  details={"children": [{"venue": "XNAS", "quantity": 100}], "note": "ok"})
    fields.update(overrides)
    return OrderEvent(**fields)


@pytest.fixture
def no_records(monkeypatch):
    """``OrderEvent.to_record`` made to fail: only the fast path can encode."""
    def refuse(self):
        raise AssertionError("to_record called: the general path was taken")
    monkeypatch.setattr(OrderEvent, "to_record", refuse)


def test_a_plain_event_is_encoded_from_its_tuple_to_the_canonical_bytes(no_records):
    events = [an_event(), an_event(1, policy_decisions=(), details=None), an_event(2, limit_price=None, details={})]
    expected = [b'{"account_id":"AC-1","actor":"risk","details":{"children":[{"quantity":100,"venue":"XNAS"}],'
                b'"note":"ok"},"event_id":"EV-0","event_type":"OrderRiskApproved","event_version":"' +
                an_event().event_version.encode() + b'","limit_price":1900000,"order_id":"ORD-0","order_type":'
                b'"LIMIT","policy_decisions":[{"outcome":"PASS","params":{},"policy":"trading_state",'
                b'"reason_code":"","version":"1.0"},{"outcome":"PASS","params":{"limit_bps":4000},"policy":'
                b'"concentration","reason_code":"","version":"1.0"}],"quantity":100,"recorded_at":1001,'
                b'"side":"BUY","stream_seq":1,"symbol":"AAPL","time_in_force":"DAY","timestamp_utc":1000,'
                b'"trace_id":"TRC-0"}']
    assert encode(events[0]) == expected[0]
    for event in events[1:]:
        assert encode(event).startswith(b'{"account_id":"AC-1"') and b'"details":{}' in encode(event)


@pytest.mark.parametrize("overrides", [
    {"details": {"x": 1e-05}},  # msgspec writes floats differently
    {"details": {"x": "é"}},  # non-ASCII: the standard library escapes it
    {"quantity": 100.0},  # a float where an int is declared
    {"event_version": EventType.ORDER_FILLED},  # a str subclass
    {"details": {"x": EventType.ORDER_FILLED}},
])
def test_what_the_fast_path_must_not_write_goes_the_general_way(overrides):
    event = an_event(**overrides)
    assert encode(event) == reference(event)


def test_an_event_type_that_is_a_plain_string_fails_as_it_always_did():
    with pytest.raises(AttributeError):  # to_record's ``.value``: the fast path does not accept it silently
        encode(an_event(event_type="OrderRiskApproved"))


def _store(path, count: int = 30, format: int = 1) -> list[OrderEvent]:  # noqa: A002
    """A log of ``count`` events in storage ``format`` (1: the row-per-record tables tampered with below)."""
    events = [an_event(i) for i in range(count)]
    with SqliteEventStore(path, format=format) as store:
        store.append_batch(events, batch_size=7)
    return events


def _tamper(path, sql: str, *args) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    for name in TRIGGERS:
        con.execute(f"DROP TRIGGER {name}")
    con.execute(sql, args)
    con.close()


def test_a_payload_that_is_not_text_is_reported_as_changed_where_it_is(tmp_path):
    path = tmp_path / "events.sqlite"
    events = _store(path)
    _tamper(path, 'UPDATE events SET payload = 12345 WHERE "offset" = 9')
    with SqliteEventStore(path, read_only=True) as store:
        result = store.verify()
        assert (result.ok, result.offset, result.kind) == (False, 9, "changed")
        got = []
        with pytest.raises(ChainBroken) as caught:
            got.extend(store.read_verified())
        assert caught.value.result.offset == 9 and caught.value.result.kind == "changed"
        assert got == events[:9]


def test_a_payload_whose_columns_disagree_past_columns_from_is_found_and_before_it_is_not(tmp_path):
    path = tmp_path / "events.sqlite"
    _store(path)
    _tamper(path, 'UPDATE events SET stream_seq = 99 WHERE "offset" = 4')
    with SqliteEventStore(path, read_only=True) as store:
        assert (store.verify().offset, store.verify().kind) == (4, "columns")
        assert store.verify(columns_from=5).ok  # only the columns from 5 on are checked


@pytest.mark.parametrize("format", [1, 2])
def test_a_utf16_file_is_read_as_text_and_verifies(tmp_path, format):  # noqa: A002
    """CAST(payload AS BLOB) would hand over UTF-16 bytes: such a file is read the old way (format 2 keeps
    its records as BLOBs, which a text encoding does not touch)."""
    path = tmp_path / "events.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA encoding = 'UTF-16le'")
    con.execute("CREATE TABLE marker (x)")  # the encoding is fixed once the file has content
    con.close()
    events = _store(path, format=format)
    with SqliteEventStore(path, read_only=True) as store:
        assert store.format == format
        assert store._con.execute("PRAGMA encoding").fetchone()[0] == "UTF-16le"
        assert list(store.read()) == events
        result = store.verify()
        assert result.ok and result.count == len(events)
        assert list(store.read_verified(expected_head=result.head)) == events
        assert list(store.read_as_of(10**9, stream="ORD-2")) == events[6:9]

"""Canonical encoding, the hash chain primitives, projections, and the fingerprint."""

from __future__ import annotations

import hashlib
import json

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.eventstore import GENESIS, Projections, SnapshotStore, decode, encode, link_hash, recover, verify
from components.eventstore import InMemoryEventStore
from twin.fingerprint import canonical_line, fingerprint


def an_event(**overrides) -> OrderEvent:
    fields = dict(
        event_type=EventType.ORDER_BLOCKED, event_id="EV-1", trace_id="TRC-1", timestamp_utc=10, recorded_at=12,
        order_id="ORD-1", stream_seq=3, account_id="A1", symbol="AAPL", side="SELL", quantity=100,
        order_type="LIMIT", limit_price=None, time_in_force="IOC", actor="risk",
        policy_decisions=(PolicyDecision("trading_state", "1.0", Outcome.PASS),
                          PolicyDecision("concentration", "1.0", Outcome.FAIL, "CONCENTRATION_LIMIT",
                                         (("account_value", 10), ("limit_bps", 4000)))),
        details={"reason": "CONCENTRATION_LIMIT", "children": [{"venue": "XNAS", "quantity": 1}], "name": "Zoë"},
    )
    fields.update(overrides)
    return OrderEvent(**fields)


def test_encode_is_the_canonical_json_of_the_record():
    event = an_event()
    assert encode(event) == json.dumps(event.to_record(), sort_keys=True, separators=(",", ":")).encode("utf-8")
    assert b" " not in encode(an_event(details=None))


def test_decode_rebuilds_the_event_field_by_field():
    for event in (an_event(), an_event(details=None, policy_decisions=(), limit_price=1_900_000)):
        back = decode(encode(event))
        assert back == event
        assert isinstance(back.event_type, EventType)
        assert all(isinstance(d, PolicyDecision) and isinstance(d.outcome, Outcome) for d in back.policy_decisions)
    assert decode(encode(an_event()).decode("utf-8")) == an_event()  # str accepted too


def test_a_real_run_round_trips(smoke_run):
    """Every event of a real run: canonical bytes are a fixed point, and each event
    comes back equal (decision params compared as the mapping the record keeps)."""
    for event in smoke_run.world.log.read():
        data = encode(event)
        back = decode(data)
        assert encode(back) == data
        assert back.to_record() == event.to_record()
        for mine, theirs in zip(back.policy_decisions, event.policy_decisions):
            assert dict(mine.params) == dict(theirs.params)


def test_the_fingerprint_is_unchanged_by_the_codec(smoke_run):
    """The fingerprint as first defined: SHA-256 of the sorted-key compact JSON lines."""
    events = list(smoke_run.world.log.read())
    digest = hashlib.sha256()
    for event in events:
        digest.update(json.dumps(event.to_record(), sort_keys=True, separators=(",", ":")).encode("utf-8"))
        digest.update(b"\n")
    assert fingerprint(events) == digest.hexdigest() == smoke_run.fingerprint
    assert canonical_line(events[0]) == encode(events[0])


def test_link_hash_is_sha256_of_parent_then_payload():
    assert link_hash(GENESIS, b"x") == hashlib.sha256(GENESIS.encode() + b"x").hexdigest()
    assert GENESIS == "0" * 64


def test_verify_names_the_first_offending_offset():
    payloads = [b"a", b"b", b"c", b"d"]
    records, parent = [], GENESIS
    for i, p in enumerate(payloads):
        h = link_hash(parent, p)
        records.append((i, p, parent, h))
        parent = h
    assert verify(records).ok and verify(records).head == parent
    assert verify(records[:1] + records[2:]).offset == 1  # deleted
    edited = list(records)
    edited[2] = (2, b"C", records[2][2], records[2][3])
    assert (verify(edited).offset, "changed" in verify(edited).problem) == (2, True)
    moved = [records[0], (1,) + records[2][1:], (2,) + records[1][1:], records[3]]
    assert verify(moved).offset == 1
    assert verify(records + [(2,) + records[2][1:]]).offset == 4  # repeated offset


def test_projections_serialize_canonically_and_restore(smoke_run):
    world = smoke_run.world
    full = Projections(world.opening_cash, world.opening_positions).apply_all(world.log.read())
    assert full.ledger.snapshot() == world.platform.ledger.snapshot()
    assert len(full.orders) == len(world.platform.oms.orders) and full.open_orders() == []
    restored = Projections.from_bytes(full.to_bytes())
    assert restored.to_bytes() == full.to_bytes() and list(restored.orders) == list(full.orders)
    for order in world.platform.oms.orders.values():
        assert full.orders[order.order_id]["status"] == order.status.value
        assert full.avg_price(order.order_id) == order.avg_price


def test_recover_without_snapshots_is_a_full_replay(smoke_run):
    world = smoke_run.world
    store = InMemoryEventStore()
    store.append_batch(world.log.read())
    full = Projections(world.opening_cash, world.opening_positions).apply_all(store.read())
    got = recover(store, SnapshotStore(every=100), world.opening_cash, world.opening_positions)
    assert got.to_bytes() == full.to_bytes()

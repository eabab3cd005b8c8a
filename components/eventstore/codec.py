"""Canonical bytes for one event, and the way back.

``encode`` is the one canonical form of an event: its ``to_record()`` as JSON
with sorted keys, no whitespace, ASCII only (``\\uXXXX`` escapes), UTF-8. The
run fingerprint, the hash chain and the stored payloads all use it, so the
same event is the same bytes everywhere.

``decode`` rebuilds the ``OrderEvent``. Two things the canonical form does not
keep, by design of ``to_record()``: a policy decision's ``params`` come back in
key order (the record holds them as a mapping), and empty ``details`` come back
as ``None`` (the record writes both as ``{}``). ``encode(decode(b)) == b``
always holds.

Storage format (``FORMAT``): in format 1 a stored record is these canonical
bytes, and the chain hashes exactly them. Format 2 (issue 19;
docs/event_store_format.md) stores and hashes each record's ``encode_stored``
bytes instead (a ``packed`` MessagePack array, or these canonical bytes where
MessagePack would read back differently); the canonical JSON stays the one
fingerprint form. The SQLite
store writes the number into each log (``PRAGMA user_version``; logs from
before the marker read as format 1) and refuses a log whose format it does not
know. ``decode`` and ``query_columns`` take the bytes of either format: a packed
record starts with ``packed.LEAD``, canonical JSON with ``{``.

Speed (issue 19): the bytes are written and read with msgspec, a C JSON
library, instead of the standard library, about 3x faster each way. The bytes
are the same: the fast path is taken only for records it provably encodes as
the standard library does (plain str/int/bool/None/dict/list values, no float,
output pure printable ASCII), and everything else (floats, which msgspec
formats differently, non-ASCII text, other types) goes through the standard
library as before. Decoding falls back to the standard library on anything
msgspec refuses (e.g. ``NaN``), so errors are the ones they always were.
A plain event (exact types, checked from its tuple) is written without building
its ``to_record()`` dict at all: the tuple's fields go into a struct whose
fields are the record's keys in sorted order (about 35% less CPU per event).
"""

from __future__ import annotations

import json
import math
from itertools import repeat
from operator import itemgetter
from typing import Any, Mapping

import msgspec

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision
from components.domain.identity_cache import IdentityCache

from . import packed
from .plain import plain_check

FORMAT = 2
"""The newest storage format: 1, the payload is ``encode(event)``, one row per record; 2, the payload is
``encode_stored(event)``, one row per segment of a committed batch (``segments``). Either way the chain is
SHA-256(parent hash + payload), one link per record. (New SQLite files: ``sqlite.NEW_FILE_FORMAT``.)"""
KNOWN_FORMATS = frozenset({1, 2})
_PACKED_LEAD = packed.LEAD  # how ``decode`` tells format 2's packed bytes: canonical JSON starts with "{"

_std_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode
_fast_dumps = msgspec.json.Encoder(order="sorted").encode
_FAST_FAILS = (TypeError, ValueError, OverflowError, RecursionError, msgspec.MsgspecError)
_EVENT_TYPES = {t.value: t for t in EventType}
_OUTCOMES = {o.value: o for o in Outcome}
# Decisions are frozen and most repeat exactly (ten PASS verdicts per approval),
# so sharing one instance per distinct decision makes decoding a long log cheaper.
_DECISIONS: dict[tuple, PolicyDecision] = {}


def encode(event: OrderEvent) -> bytes:
    """Canonical JSON of ``event.to_record()``: sorted keys, compact, ASCII, UTF-8."""
    # The common case straight from the tuple, with no record dict built (a third of the cost before):
    # every declared-scalar field an exact str/int/bool/None, the type a real EventType, details a plain dict.
    details = event[16]
    if (_SCALARS.issuperset(map(type, event[1:15])) and type(event[17]) is str
            and (not details or (type(details) is dict and _plain(details)))):
        if type(event[0]) is EventType:
            decisions = event[15]
            out = _fast(_Canon(event[7], event[14], details or {}, event[1], event[0]._value_, event[17], event[12],
                               event[5], event[11],
                               _decisions_json(decisions) if decisions else _NO_DECISIONS,
                               event[10], event[4], event[9], event[6], event[8], event[13], event[3], event[2]))
            if out is not None:
                return out
    decisions = event[15]
    if not decisions:
        record = event.to_record()
        return _dumps(record, _plain_event_record(record))
    # The decisions' JSON is spliced in from a cache (their canonical form does not depend on where it
    # sits): most events carry shared decision objects (a policy's one PASS verdict), and writing ten
    # of them was the largest part of encoding an approval.
    record = _new_event(OrderEvent, (*event[:15], (), *event[16:])).to_record()
    if _plain_event_record(record):
        record["policy_decisions"] = _decisions_json(decisions)
        out = _fast(record)
        if out is not None:
            return out
    return _std_dumps(event.to_record()).encode("utf-8")


# An event's record keys in sorted order, as a struct msgspec writes field by field in that order
# (``encode``'s fast path fills it from the tuple; the field names are the record's keys).
_Canon = msgspec.defstruct("_Canon", [
    "account_id", "actor", "details", "event_id", "event_type", "event_version", "limit_price", "order_id",
    "order_type", "policy_decisions", "quantity", "recorded_at", "side", "stream_seq", "symbol",
    "time_in_force", "timestamp_utc", "trace_id"])
_NO_DECISIONS = msgspec.Raw(b"[]")


def _decisions_json(decisions: tuple) -> msgspec.Raw:
    """The canonical JSON array of an event's decisions, spliced from ``_decision_json``'s cache."""
    return msgspec.Raw(b"[" + b",".join(map(_decision_json, decisions)) + b"]")


def canonical(record: Mapping[str, Any]) -> bytes:
    """The canonical JSON bytes of any JSON-able record (``encode`` for an event's record)."""
    return _dumps(record, _plain(record))


def _dumps(record: Mapping[str, Any], plain: bool) -> bytes:
    out = _fast(record) if plain else None
    return _std_dumps(record).encode("utf-8") if out is None else out


def _fast(record: Mapping[str, Any]) -> bytes | None:
    """msgspec's bytes for a record ``_plain`` accepted, or None where they would differ from the standard library's."""
    try:
        out = _fast_dumps(record)
    except _FAST_FAILS:  # e.g. nesting deeper than msgspec allows: the standard library decides
        return None
    # msgspec writes non-ASCII text as UTF-8 and DEL (0x7f) raw, where ensure_ascii escapes both.
    return out if out.isascii() and b"\x7f" not in out else None


_SCALARS = frozenset({str, int, bool, type(None)})


# The values msgspec and the standard library write identically (floats take the standard library's path).
_plain = plain_check(_SCALARS)


# The keys of OrderEvent.to_record() whose values are plain scalars by the event's declared types, and
# the shape of PolicyDecision.to_record(): checked by type in one C-level pass each, so only what may
# hold anything (details and each decision's params) is walked. A record of another shape (a field
# added to to_record) takes the general check.
_RECORD_KEYS = frozenset({"event_type", "event_version", "event_id", "trace_id", "timestamp_utc", "recorded_at",
                          "order_id", "stream_seq", "account_id", "symbol", "side", "quantity", "order_type",
                          "limit_price", "time_in_force", "actor", "policy_decisions", "details"})
_record_scalars = itemgetter(*sorted(_RECORD_KEYS - {"policy_decisions", "details"}))
_DECISION_KEYS = frozenset({"policy", "version", "outcome", "reason_code", "params"})
_STR_OR_DICT = frozenset({str, dict})


_DECISION_JSON: IdentityCache[bytes] = IdentityCache(maxsize=4_096)


def _decision_json(decision: PolicyDecision) -> bytes:
    """The canonical bytes of one decision's record, cached by object (decisions are frozen; one
    whose params hold a mutable value is not cached)."""
    data = _DECISION_JSON.get(decision)
    if data is not None:
        return data
    data = canonical(decision.to_record())
    if not _SCALARS.issuperset(type(value) for _, value in decision.params):
        return data  # a list or dict parameter could be changed in place later: not cached
    _DECISION_JSON.put(decision, data)
    return data


def _plain_event_record(record: dict) -> bool:
    """``_plain(record)`` for the record of an ``OrderEvent``, cheaper."""
    if len(record) != len(_RECORD_KEYS) or not _RECORD_KEYS.issuperset(record):
        return _plain(record)
    if not _SCALARS.issuperset(map(type, _record_scalars(record))):
        return False
    decisions = record["policy_decisions"]
    if type(decisions) is not list:
        return _plain(decisions) and _plain(record["details"])
    for d in decisions:
        if type(d) is not dict or len(d) != 5 or not _DECISION_KEYS.issuperset(d):
            if not _plain(d):
                return False
            continue
        if not _STR_OR_DICT.issuperset(map(type, d.values())):
            return False
        params = d["params"]
        if params and not _plain(params):
            return False
    details = record["details"]
    return not details or _plain(details)


def encode_stored(event: OrderEvent) -> bytes:
    """Format 2's bytes of ``event``: ``packed.pack``, or the canonical JSON where packing would read back
    differently. ``decode`` reads both."""
    return packed.pack(event) or encode(event)


def stored_head(data: bytes) -> tuple:
    """``packed.unpack_head`` of format-2 bytes of either kind."""
    if data[0] == _PACKED_LEAD:
        return packed.unpack_head(data)
    event_id, order_id, stream_seq, timestamp_utc, recorded_at = query_columns(data)
    return None, event_id, None, timestamp_utc, recorded_at, order_id, stream_seq


def decode(data: bytes | str) -> OrderEvent:
    """The event whose canonical bytes (or format-2 ``packed`` bytes) are ``data``."""
    if type(data) is not str and data and data[0] == _PACKED_LEAD:
        return packed.unpack(data)
    try:
        fields = _astuple(_decode_stored(data))
    except msgspec.DecodeError:  # NaN, a missing field, not JSON...: the standard library's verdict
        return from_record(json.loads(bytes(data) if isinstance(data, memoryview) else data))
    details = fields[16]
    return _new_event(OrderEvent, (
        _EVENT_TYPES[fields[0]], *fields[1:15], _decisions(fields[15]),
        (details if type(details) is dict else dict(details)) if details else None, fields[17]))


def decode_many(records: list[bytes]) -> list[OrderEvent]:
    """``list(map(decode, records))`` for format-2 bytes, cheaper when every record is packed
    (``packed.unpack_many``: most segments)."""
    return packed.unpack_many(records) if _every_packed(records) else list(map(decode, records))


def stored_heads(records: list[bytes]) -> list[tuple]:
    """``list(map(stored_head, records))``, cheaper when every record is packed (``packed.unpack_heads``)."""
    return packed.unpack_heads(records) if _every_packed(records) else list(map(stored_head, records))


def _every_packed(records: list[bytes]) -> bool:
    try:
        return all(map(bytes.startswith, records, repeat(_LEAD_BYTE)))
    except TypeError:  # not all bytes
        return False


_LEAD_BYTE = bytes((packed.LEAD,))


def from_record(record: Mapping[str, Any]) -> OrderEvent:
    """Rebuild an event from its ``to_record()`` form (or the JSON of it)."""
    details = record.get("details")
    return _new_event(OrderEvent, (
        _EVENT_TYPES[record["event_type"]], *_plain_fields(record),
        tuple(_decision(d) for d in record.get("policy_decisions") or ()),
        dict(details) if details else None, record["event_version"]))


def stored_columns(data: bytes | str) -> tuple:
    """``query_columns`` of a canonical payload, msgspec only: raises on anything it cannot decode
    (a verifier's fast path, which then asks ``query_columns`` for the verdict)."""
    if type(data) is not str and data and data[0] == _PACKED_LEAD:
        return packed.unpack_columns(data)
    return _astuple(_decode_columns(data))


def query_columns(data: bytes | str) -> tuple:
    """``(event_id, order_id, stream_seq, timestamp_utc, recorded_at)`` of a payload, without building
    the event (what a store copies into its query columns). ``ValueError`` if it is not an event record."""
    if type(data) is not str and data and data[0] == _PACKED_LEAD:
        try:
            return packed.unpack_columns(data)
        except (KeyError, TypeError, IndexError):
            raise ValueError("not an event record") from None
    try:
        return _astuple(_decode_columns(data))
    except msgspec.DecodeError:
        record = json.loads(data)
        try:
            return tuple(record[k] for k in _COLUMN_FIELDS)
        except (KeyError, TypeError):
            raise ValueError("not an event record") from None


# -- decoding internals ---------------------------------------------------------
# OrderEvent is a NamedTuple: built in one go from a tuple in field order.
_new_event = tuple.__new__
_FIELDS = OrderEvent._fields
assert _FIELDS[0] == "event_type" and _FIELDS[15:] == ("policy_decisions", "details", "event_version"), _FIELDS
_plain_fields = itemgetter(*_FIELDS[1:15])
# The stored record as msgspec decodes it: fields in OrderEvent's order, values untyped (Any) so
# nothing is refused that the standard library accepted; the decisions kept as their raw JSON text,
# the key of a cache of decoded decision tuples (most events repeat a few exact lists).
_Stored = msgspec.defstruct(
    "_Stored",
    [(name, Any) for name in _FIELDS[:15]]
    + [("policy_decisions", msgspec.Raw, msgspec.Raw(b"[]")), ("details", Any, None), ("event_version", Any)],
    kw_only=True)
_decode_stored = msgspec.json.Decoder(_Stored).decode
_astuple = msgspec.structs.astuple
_COLUMN_FIELDS = ("event_id", "order_id", "stream_seq", "timestamp_utc", "recorded_at")
_decode_columns = msgspec.json.Decoder(
    msgspec.defstruct("_Columns", [(name, Any) for name in _COLUMN_FIELDS])).decode
_DECISION_LISTS: dict[bytes, tuple[PolicyDecision, ...]] = {}
_DECISION_LISTS_MAX = 8_192  # bounded: params carry per-order values, so a long log has many distinct lists


def _decisions(raw: msgspec.Raw) -> tuple[PolicyDecision, ...]:
    if len(raw) <= 2:  # "[]" (or absent)
        return ()
    key = bytes(raw)
    cached = _DECISION_LISTS.get(key)
    if cached is None:
        try:
            items = msgspec.json.decode(key)
        except msgspec.DecodeError:
            items = json.loads(key)
        cached = tuple(_decision(d) for d in items or ())
        if len(_DECISION_LISTS) >= _DECISION_LISTS_MAX:
            _DECISION_LISTS.clear()
        _DECISION_LISTS[key] = cached
    return cached


def _decision(d: Mapping[str, Any]) -> PolicyDecision:
    params = d.get("params") or {}
    try:
        # The value types are part of the key: 0 == False == 0.0 (and hash alike), but are written differently.
        types = tuple(map(type, params.values()))
        key = (d["policy"], d["version"], d["outcome"], d.get("reason_code", ""), tuple(params.items()), types)
        if float in types:  # so are -0.0 and 0.0: the signs of the floats are part of the key
            key += (tuple(math.copysign(1.0, v) for v in params.values() if type(v) is float),)
        cached = _DECISIONS.get(key)
    except TypeError:  # an unhashable parameter value: build it fresh
        key, cached = None, None
    if cached is not None:
        return cached
    decision = PolicyDecision(
        policy=d["policy"],
        version=d["version"],
        outcome=_OUTCOMES[d["outcome"]],
        reason_code=d.get("reason_code", ""),
        params=tuple(params.items()),
    )
    if key is not None and len(_DECISIONS) < 65_536:  # bounded: params carry per-order values
        _DECISIONS[key] = decision
    return decision

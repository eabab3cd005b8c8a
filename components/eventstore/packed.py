"""The record bytes of storage format 2: an event as a MessagePack array, about half the size of its
canonical JSON and several times faster to write and read.

A packed record is the 18 fields of ``OrderEvent`` in field order, as one MessagePack array (so its
first byte is always ``0xdc``, an array16 header): the event type by its value; the policy decisions as
one ``bin`` holding their MessagePack array, each ``[policy, version, outcome, reason_code, {params}]``
(a reader looks the bytes up in a cache of decoded lists, since most events repeat a few exact lists),
or an empty array when there are none; ``details`` as a map (``nil`` when empty); map keys in sorted
order, so an event always packs to the same bytes. Decoding is typed, so MessagePack builds the event's
tuple itself in C: an event with no decisions needs no Python-level rebuilding. Floats are IEEE doubles, so they come
back exactly (NaN, infinities and -0.0 included).

What MessagePack would keep and canonical JSON does not (a non-string key, a ``Decimal``, an int past
64 bits, a ``str`` subclass...) must not change what a store reads back, so ``pack`` gives None for such
an event and format 2 stores its canonical JSON instead (``codec.encode_stored``; first byte ``{``):
every record reads back as ``decode(encode(event))`` would, whichever way it was stored, and ``encode``
of what is read back is the event's canonical JSON (the fingerprint form, which this module never
replaces). ``codec.decode`` reads either kind. This module does not import ``codec`` (which imports it).
"""

from __future__ import annotations

from itertools import chain
from operator import is_, itemgetter
from typing import Any, Optional, Union

import msgspec

from components.domain.events import EventType, OrderEvent, Outcome, PolicyDecision

from .plain import all_plain_dicts, plain_check

LEAD = 0xDC
"""First byte of every packed record (MessagePack array16); canonical JSON starts with ``{`` (0x7b)."""

_encode = msgspec.msgpack.Encoder(order="sorted").encode
_FAILS = (TypeError, ValueError, OverflowError, RecursionError, UnicodeEncodeError, msgspec.MsgspecError)
_SCALARS = frozenset({str, int, bool, float, type(None)})
_STR = frozenset({str})
_all_scalars, _all_str = _SCALARS.issuperset, _STR.issuperset


def pack(event: OrderEvent) -> bytes | None:
    """The packed bytes of ``event``, or None if MessagePack would not read it back as canonical JSON does
    (the caller then stores the canonical JSON, which also raises what it always raised)."""
    details, fields = event[16], event[1:15]
    if (type(event[0]) is EventType and _all_scalars(map(type, fields)) and type(event[17]) is str
            and (not details or (type(details) is dict and (  # the common details first: flat, str keys
                _all_scalars(map(type, details.values())) and _all_str(map(type, details)) or _plain(details))))):
        return _pack_checked(event)
    return None


def _pack_checked(event: OrderEvent) -> bytes | None:
    """``pack`` of an event whose fields and details passed its checks."""
    decisions = event[15]
    raw = _decisions_raw(decisions) if decisions else ()  # None: a decision to write as JSON
    if raw is not None:
        try:
            return _encode((event[0]._value_, *event[1:15], raw, event[16] or None, event[17]))
        except _FAILS:  # e.g. an int past 64 bits, a lone surrogate: canonical JSON decides
            pass
    return None


# The values MessagePack and canonical JSON read back alike.
_plain = plain_check(_SCALARS)


def pack_many(events: list) -> list:
    """``[pack(e) for e in events]``, cheaper for a batch (what an append packs). The checks ``pack`` makes
    per event are made once over the whole batch, each a few C-level passes (``plain.all_plain`` walks all
    the batch's ``details`` one nesting level at a time); an event with no decisions and ``details`` None or
    a non-empty dict is then packed as the named tuple itself, which MessagePack writes as the same array
    ``pack`` builds (the event type by its value, no decisions as an empty array). Anything the batch checks
    do not clear, or an encoding that fails, goes through ``pack`` one event at a time."""
    try:
        if (_ORDER_EVENT.issuperset(map(type, events)) and _EVENT_TYPE.issuperset(map(type, map(_type_of, events)))
                and _all_scalars(map(type, chain.from_iterable(map(_scalar_fields, events))))
                and _all_str(map(type, map(_version_of, events)))
                and all_plain_dicts([d for d in map(_details_of, events) if type(d) is dict], _SCALARS)):
            encode, checked = _encode, _pack_checked
            # Decisions, or empty details, with the checks already made: ``pack`` without making them again.
            return [encode(e) if e[15] == () and (e[16] is None or (type(e[16]) is dict and e[16]))
                    else checked(e) if e[16] is None or type(e[16]) is dict else pack(e) for e in events]
    except _FAILS:  # e.g. an int past 64 bits: ``pack`` decides, event by event
        pass
    return [pack(e) for e in events]


_ORDER_EVENT, _EVENT_TYPE = frozenset({OrderEvent}), frozenset({EventType})
_type_of, _details_of, _version_of, _scalar_fields = itemgetter(0), itemgetter(16), itemgetter(17), itemgetter(
    slice(1, 15))


_DECISION_RAW: dict[int, tuple[PolicyDecision, bytes]] = {}
_DECISION_RAW_MAX = 4_096


def _decisions_raw(decisions: tuple) -> msgspec.Raw | None:
    """The packed array of an event's decisions (None if one of them must go the canonical JSON way), cached
    by the identity of the decision objects in order: most lists are the same few shared decision objects (a
    policy's one PASS verdict; a decoded log shares equal decisions), so a list packed once is looked up (94% of
    the bench's decision lists)."""
    key = tuple(map(id, decisions))
    entry = _DECISION_LISTS_RAW.get(key)
    if entry is not None and all(map(is_, entry[0], decisions)):
        return entry[1]
    raw = _decisions_raw_uncached(decisions)
    if raw is not None and all(id(d) in _DECISION_RAW for d in decisions):  # every one cacheable (immutable)
        if len(_DECISION_LISTS_RAW) >= _DECISION_RAW_MAX:
            _DECISION_LISTS_RAW.clear()
        _DECISION_LISTS_RAW[key] = (tuple(decisions), raw)  # holds the objects: their ids are not reused
    return raw


_DECISION_LISTS_RAW: dict[tuple, tuple[tuple, msgspec.Raw]] = {}


def _decisions_raw_uncached(decisions: tuple) -> msgspec.Raw | None:
    parts = []
    for decision in decisions:
        entry = _DECISION_RAW.get(id(decision))
        if entry is not None and entry[0] is decision:
            parts.append(entry[1])
            continue
        data = _decision_bytes(decision)
        if data is None:
            return None
        parts.append(data)
    count = len(parts)
    array = (bytes((0x90 | count,)) if count < 16 else b"\xdc" + count.to_bytes(2, "big")) + b"".join(parts)
    size = len(array)  # as a bin: bin8 or bin16 (a decision list is far below 64 KiB), else bin32
    header = (b"\xc4" + bytes((size,)) if size < 256 else b"\xc5" + size.to_bytes(2, "big") if size < 65_536
              else b"\xc6" + size.to_bytes(4, "big"))
    return msgspec.Raw(header + array)


def _decision_bytes(decision: Any) -> bytes | None:
    """One decision packed, cached by object like ``codec._decision_json`` (the entry holds the object,
    so its id is not reused while cached); None if it is not a plain decision."""
    if type(decision) is not PolicyDecision or type(decision.outcome) is not Outcome:
        return None
    try:
        params = {k: v for k, v in decision.params}
    except (TypeError, ValueError):
        return None
    if not (type(decision.policy) is str and type(decision.version) is str and type(decision.reason_code) is str
            and _plain(params)):
        return None
    try:
        data = _encode((decision.policy, decision.version, decision.outcome._value_, decision.reason_code, params))
    except _FAILS:
        return None
    if _SCALARS.issuperset(map(type, params.values())):  # a list or dict value could change in place: not cached
        if len(_DECISION_RAW) >= _DECISION_RAW_MAX:
            _DECISION_RAW.clear()
        _DECISION_RAW[id(decision)] = (decision, data)
    return data


# -- reading -----------------------------------------------------------------------------------------
_FIELDS = OrderEvent._fields
# Typed where msgspec can do the work in C: the event type to its enum, no decisions to the empty tuple,
# details a map or nil; exactly 18 fields. The result is laid out as an OrderEvent already.
_decode_packed = msgspec.msgpack.Decoder(
    tuple[(EventType, *(Any,) * 14, Union[tuple[()], bytes], Optional[dict], Any)]).decode
_Columns = msgspec.defstruct("_PackedColumns", [(name, Any) for name in _FIELDS[:7]], array_like=True)
_decode_columns = msgspec.msgpack.Decoder(_Columns).decode
_astuple = msgspec.structs.astuple
_new_event = tuple.__new__
_EVENT_TYPES = {t.value: t for t in EventType}
_OUTCOMES = {o.value: o for o in Outcome}
_DECISION_LISTS: dict[bytes, tuple[PolicyDecision, ...]] = {}
_DECISION_LISTS_MAX = 8_192
_decode_any = msgspec.msgpack.Decoder().decode


def unpack(data: bytes) -> OrderEvent:
    """The event whose packed bytes are ``data`` (``ValueError``/``KeyError`` if they are not a record)."""
    f = _decode_packed(data)
    key = f[15]
    if type(key) is tuple:  # no decisions
        return _new_event(OrderEvent, f)
    decisions = _DECISION_LISTS.get(key)
    if decisions is None:
        decisions = tuple(_decision(d) for d in _decode_any(key))
        if len(_DECISION_LISTS) >= _DECISION_LISTS_MAX:
            _DECISION_LISTS.clear()
        _DECISION_LISTS[key] = decisions
    return _new_event(OrderEvent, (*f[:15], decisions, f[16], f[17]))


def unpack_many(records: list[bytes]) -> list[OrderEvent]:
    """``[unpack(r) for r in records]`` (a segment's records, every one packed: first byte ``LEAD``)."""
    return list(map(unpack, records))


def _decision(d: list) -> PolicyDecision:
    policy, version, outcome, reason_code, params = d
    return PolicyDecision(policy, version, _OUTCOMES[outcome], reason_code, tuple(params.items()))


def unpack_columns(data: bytes) -> tuple:
    """``codec.query_columns`` of packed bytes: ``(event_id, order_id, stream_seq, timestamp_utc,
    recorded_at)`` without building the event."""
    f = unpack_head(data)
    return f[1], f[5], f[6], f[3], f[4]


def unpack_heads(records: list[bytes]) -> list[tuple]:
    """``[unpack_head(r) for r in records]`` in C-level passes (no Python call per record: what ``verify``
    reads of every record)."""
    return list(map(_astuple, map(_decode_columns, records)))


def unpack_head(data: bytes) -> tuple:
    """The first seven fields of the event in packed bytes (event_type to stream_seq, at the event's own
    indexes: a verifier reads the query columns of events and of heads alike), without building the event."""
    return _astuple(_decode_columns(data))

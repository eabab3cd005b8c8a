"""An event log kept as columns: the recorder of long runs (issue 19, "events as columns").

``ColumnarEventLog`` has ``InMemoryEventLog``'s port (``append``, ``read``, ``__len__``) and gives back
equal events, but does not keep the ``OrderEvent`` tuples. The last ``chunk_size`` events wait in a
plain list (so ``append`` on the simulation's hot path stays a list append and a length check); when
the list is full it is *sealed* into an ``EventChunk``: one buffer per field, filled by C-level passes
over the chunk (``array``/``map``/``pickle``), not by Python code per event:

* integer fields (times, ``stream_seq``, ``quantity``, ``limit_price``) as ``array('q')`` (with a
  null mask where a value is ``None``);
* text fields as the chunk's distinct values joined by NUL plus 16-bit codes (none for a column whose
  values are all distinct, as event ids are; order ids, trace ids, accounts, symbols, sides... repeat);
* ``event_type`` as one byte per event (the ``EventType`` member's index);
* ``policy_decisions`` as the chunk's distinct decision tuples, compared by identity (the very same
  frozen objects come back, so nothing about them changes), and codes;
* ``details`` as one ``pickle`` of the chunk's mappings: pickle records each value's class (a numpy
  scalar stays one, an enum the same member), key order and float bits, so what is read back is equal
  in value, type and order. (Not ``marshal``: it writes any object with the buffer protocol, a numpy
  scalar, a ``bytearray``, as plain ``bytes``.)

A column whose values are not all of the exact type its buffer holds (an ``IntEnum`` where an int is
expected, a ``str`` subclass, an int beyond 64 bits, a text holding NUL), and a ``details`` value
pickle refuses, are kept as the objects themselves: exact in every case, compact in the usual one.

The log packs its chunks (``pack_events``; ``EventChunk.pack`` for a sealed one): the fields' values
themselves, ``event_type`` as its one-byte codes and decisions as their codes, pickled into one zlib
stream (level 1): about 32 bytes per event on trading_day's events. Packing the values, not the
buffers, skips building the buffers on the simulation's hot path (pickle's memo already writes a
repeated object once; it was faster than marshal here, 1.01 against 1.15 us per event, and as small);
``columns`` builds the buffers from the inflated values on each access, ``events`` rebuilds the tuples
straight from them. A chunk holding a value pickle refuses (a ``MappingProxyType``, a lambda) is sealed
as columns, that value kept as an object, and left unpacked. The one value that comes back equal in
canonical bytes but not by ``==``: a float NaN, as with any copy (NaN equals only itself by identity).
``ColumnarEventLog(compress=False)`` keeps every chunk as sealed columns.

``read(start)`` rebuilds tuples a chunk at a time, on demand; they are equal to the appended ones (the
same decisions objects, new but equal text, ints and details). ``chunks()`` hands the buffers to code
that reads columns directly (``nbytes``, ``column``, the benchmarks' memory figures).
This module imports no pyarrow (layer rule): the buffers are ``array``, numpy arrays, ``bytes`` and lists.
"""

from __future__ import annotations

import pickle
import sys
import zlib
from array import array
from itertools import chain, islice
from typing import Any, Iterator, Sequence

import numpy as np

from .domain.events import EventType, OrderEvent

DEFAULT_CHUNK = 512
"""Events per packed chunk. Packing a chunk while its events are still in the CPU's caches is what makes
it cheap: inside a 30,000-order day, 2.0-2.4 us per event with 512 against 2.7-2.8 us with 4,096
(docs/run_performance.md), for 31.8 instead of 30.8 bytes per event; the unsealed tail is small too.
At most 65,536 (codes are 16-bit)."""

FIELDS = OrderEvent._fields
"""The columns, in ``OrderEvent``'s field order."""
_TYPES: tuple[EventType, ...] = tuple(EventType)
_TYPE_CODE = {t: i for i, t in enumerate(_TYPES)}
_INT_FIELDS = frozenset({"timestamp_utc", "recorded_at", "stream_seq", "quantity", "limit_price"})
_TEXT_FIELDS = frozenset({"event_id", "trace_id", "order_id", "account_id", "symbol", "side", "order_type",
                          "time_in_force", "actor", "event_version"})
assert _INT_FIELDS | _TEXT_FIELDS | {"event_type", "policy_decisions", "details"} == set(FIELDS), FIELDS
_SEP = "\x00"
_NONE = type(None)
_INT = frozenset({int})
_INT_OR_NONE = frozenset({int, _NONE})
_STR = frozenset({str})
_new_event = tuple.__new__
_PROTOCOL = 5  # pickle's, fixed rather than the default: the same bytes on every Python (they never leave the process)


class IntColumn:
    """64-bit integers; ``nulls`` (one byte per row, 1 = ``None``) only when some value is ``None``."""

    __slots__ = ("values", "nulls")

    def __init__(self, values: array, nulls: bytes | None) -> None:
        self.values = values
        self.nulls = nulls

    def decode(self) -> list:
        if self.nulls is None:
            return self.values.tolist()
        return [None if null else v for v, null in zip(self.values, self.nulls)]


class TextColumn:
    """Text as the chunk's distinct values (joined by NUL) and a 16-bit code per row (``None`` when
    every row's value is distinct: the code is the row)."""

    __slots__ = ("distinct", "codes")

    def __init__(self, distinct: str, codes: np.ndarray | None) -> None:
        self.distinct = distinct
        self.codes = codes

    def values(self) -> list[str]:
        """The distinct values, indexed by code."""
        return self.distinct.split(_SEP)

    def decode(self) -> list[str]:
        if self.codes is None:
            return self.values()
        return list(map(self.values().__getitem__, self.codes.tolist()))


class ObjectColumn:
    """The values themselves: the exact fallback for a chunk whose values a typed buffer would alter."""

    __slots__ = ("items",)

    def __init__(self, items: list) -> None:
        self.items = items

    def decode(self) -> list:
        return list(self.items)


class TypeColumn:
    """``EventType`` as one byte per row (the member's index in ``EventType``)."""

    __slots__ = ("codes",)

    def __init__(self, codes: bytes) -> None:
        self.codes = codes

    def decode(self) -> list[EventType]:
        return list(map(_TYPES.__getitem__, self.codes))


class DecisionsColumn:
    """Policy decision tuples: the chunk's distinct tuples (by identity: the same objects are given
    back) and a 16-bit code per row."""

    __slots__ = ("distinct", "codes")

    def __init__(self, distinct: list[tuple], codes: np.ndarray) -> None:
        self.distinct = distinct
        self.codes = codes

    def decode(self) -> list[tuple]:
        return list(map(self.distinct.__getitem__, self.codes.tolist()))


class DetailsColumn:
    """``details`` as one pickle of the chunk's values; values pickle refuses are kept as objects in
    ``kept`` (row -> value) and stand as ``None`` in the blob."""

    __slots__ = ("blob", "kept")

    def __init__(self, blob: bytes, kept: dict[int, Any] | None) -> None:
        self.blob = blob
        self.kept = kept

    def decode(self) -> list:
        items = pickle.loads(self.blob)
        if self.kept:
            for row, value in self.kept.items():
                items[row] = value
        return items


Column = IntColumn | TextColumn | ObjectColumn | TypeColumn | DecisionsColumn | DetailsColumn


class EventChunk:
    """Up to ``DEFAULT_CHUNK`` consecutive events as one column per ``OrderEvent`` field; ``pack()`` gives
    the same events' values pickled and zlib-compressed (``columns`` then rebuilds the buffers on each access)."""

    __slots__ = ("size", "_columns", "_packed", "_decisions")

    def __init__(self, size: int, columns: dict[str, Column]) -> None:
        self.size = size
        self._columns: dict[str, Column] | None = columns
        self._packed: bytes | None = None
        self._decisions: list[tuple] | None = None  # a packed chunk's distinct decisions (objects: not packed)

    @property
    def columns(self) -> dict[str, Column]:
        """The column buffers (built afresh from a packed chunk's values: hold them, do not ask per column)."""
        if self._columns is not None:
            return self._columns
        return _columns_of(self._values())

    @property
    def packed(self) -> bool:
        return self._packed is not None

    def pack(self) -> EventChunk:
        """This chunk packed (``pack_events``), or the chunk itself when pickle refuses one of its values
        (or it is packed already)."""
        if self._columns is None:
            return self
        return _packed(self.size, [self._columns[name].decode() for name in FIELDS]) or self

    def _values(self) -> list:
        """A packed chunk's fields as values, event types and decisions decoded."""
        fields = list(pickle.loads(zlib.decompress(self._packed)))
        fields[_TYPE_AT] = list(map(_TYPES.__getitem__, fields[_TYPE_AT]))
        fields[_DECISIONS_AT] = list(map(self._decisions.__getitem__, array("H", fields[_DECISIONS_AT])))
        return fields

    def nbytes(self) -> int:
        """Bytes of the chunk's buffers (``sys.getsizeof``; see ``ColumnarEventLog.nbytes``)."""
        if self._packed is not None:
            return sys.getsizeof(self._packed) + sys.getsizeof(self._decisions)
        return sum(_column_bytes(column) for column in self._columns.values())

    def column(self, name: str) -> list:
        """One field's values for every row, as Python objects."""
        return self.columns[name].decode()

    def events(self) -> list[OrderEvent]:
        """The chunk's events, rebuilt."""
        if self._columns is None:
            decoded = self._values()
        else:
            decoded = [self._columns[name].decode() for name in FIELDS]
        return [_new_event(OrderEvent, row) for row in zip(*decoded)]


_TYPE_AT = FIELDS.index("event_type")
_DECISIONS_AT = FIELDS.index("policy_decisions")


def _packed(size: int, fields: Sequence[Sequence]) -> EventChunk | None:
    """A packed chunk of ``size`` events from their fields' values (``FIELDS`` order), or None when a value
    would not come back exactly: an event type not an ``EventType``, or anything pickle refuses."""
    fields = list(fields)
    types = fields[_TYPE_AT]
    if set(map(type, types)) - {EventType}:
        return None
    fields[_TYPE_AT] = bytes(map(_TYPE_CODE.__getitem__, types))
    decisions = _decisions_column(fields[_DECISIONS_AT])
    fields[_DECISIONS_AT] = decisions.codes.tobytes()
    try:
        blob = pickle.dumps(tuple(fields), _PROTOCOL)
    except Exception:  # noqa: BLE001 - whatever a value's pickling raises, sealing keeps it as it is
        return None
    chunk = EventChunk(size, {})
    chunk._columns, chunk._packed, chunk._decisions = None, zlib.compress(blob, 1), decisions.distinct
    return chunk


def pack_events(events: Sequence[OrderEvent]) -> EventChunk:
    """``events`` (at most 65,536) as a packed chunk: ``seal(events).pack()`` without building the
    buffers first (what the log does on the simulation's hot path); sealed, unpacked, when pickle
    refuses a value."""
    _check_size(events)
    return (_packed(len(events), list(zip(*events)) if events else [()] * len(FIELDS))
            or seal(events))


def _check_size(events: Sequence[OrderEvent]) -> None:
    if len(events) > 65_536:
        raise ValueError(f"a chunk holds at most 65,536 events, not {len(events):,}")


def seal(events: Sequence[OrderEvent]) -> EventChunk:
    """``events`` (at most 65,536) as an ``EventChunk``."""
    _check_size(events)
    fields = zip(*events) if events else ((),) * len(FIELDS)  # one C-level transposition: a tuple per field
    return EventChunk(len(events), _columns_of(fields))


def _columns_of(fields: Any) -> dict[str, Column]:
    """A column per field from the fields' values (``FIELDS`` order)."""
    columns: dict[str, Column] = {}
    for name, values in zip(FIELDS, fields):
        if name in _INT_FIELDS:
            columns[name] = _int_column(values)
        elif name in _TEXT_FIELDS:
            columns[name] = _text_column(values)
        elif name == "event_type":
            columns[name] = _type_column(values)
        elif name == "policy_decisions":
            columns[name] = _decisions_column(values)
        else:
            columns[name] = _details_column(values)
    return columns


def _int_column(values: tuple) -> Column:
    kinds = set(map(type, values))
    try:
        if kinds <= _INT:
            return IntColumn(array("q", values), None)
        if kinds <= _INT_OR_NONE:
            nulls = bytes(v is None for v in values)
            return IntColumn(array("q", [0 if v is None else v for v in values]), nulls)
    except OverflowError:  # an int beyond 64 bits: kept as it is
        pass
    return ObjectColumn(list(values))


def _text_column(values: tuple) -> Column:
    # Every step is one C-level pass (the type check, the distinct values, the codes): a chunk is
    # sealed on the simulation's hot path.
    if values and set(map(type, values)) <= _STR:  # (no rows: "" would read back as one row)
        distinct = dict.fromkeys(values)
        joined = _SEP.join(distinct)
        if joined.count(_SEP) == len(distinct) - 1 or not distinct:  # no value holds the separator
            if len(distinct) == len(values):  # all distinct (event ids): the codes are the rows
                return TextColumn(joined, None)
            code = dict(zip(distinct, range(len(distinct))))
            return TextColumn(joined, _codes(map(code.__getitem__, values), len(values)))
    return ObjectColumn(list(values))


def _type_column(values: tuple) -> Column:
    if set(map(type, values)) == {EventType}:
        return TypeColumn(bytes(map(_TYPE_CODE.__getitem__, values)))
    return ObjectColumn(list(values))


def _decisions_column(values: tuple) -> Column:
    ids = list(map(id, values))
    distinct = dict(zip(ids, values))  # first-seen order; one id is one object (all are alive here)
    code = dict(zip(distinct, range(len(distinct))))
    return DecisionsColumn(list(distinct.values()), _codes(map(code.__getitem__, ids), len(ids)))


def _codes(codes: Iterator[int], count: int) -> np.ndarray:
    """16-bit codes: ``numpy.fromiter`` takes an iterator of ints at about half the cost of ``array``."""
    return np.fromiter(codes, dtype=np.uint16, count=count)


def _details_column(values: tuple) -> Column:
    values = list(values)
    try:
        return DetailsColumn(pickle.dumps(values, _PROTOCOL), None)
    except Exception:  # noqa: BLE001 - some value pickle refuses (a MappingProxyType...): kept, row by row
        pass
    kept: dict[int, Any] = {}
    plain = list(values)
    for row, value in enumerate(values):
        try:
            pickle.dumps(value, _PROTOCOL)
        except Exception:  # noqa: BLE001
            kept[row] = value
            plain[row] = None
    return DetailsColumn(pickle.dumps(plain, _PROTOCOL), kept)


class ColumnarEventLog:
    """An append-only event log stored as columns (see the module's docstring). Offsets are positions."""

    def __init__(self, chunk_size: int = DEFAULT_CHUNK, compress: bool = True) -> None:
        if not 1 <= chunk_size <= 65_536:
            raise ValueError(f"chunk_size must be 1..65536, not {chunk_size}")
        self._chunk_size = chunk_size
        self._compress = compress  # full chunks packed (pack_events): about a quarter of the columns' bytes
        self._chunks: list[EventChunk] = []
        self._sealed = 0  # events in self._chunks
        self._tail: list[OrderEvent] = []

    def append(self, event: OrderEvent) -> int:
        tail = self._tail
        tail.append(event)
        offset = self._sealed + len(tail) - 1
        if len(tail) >= self._chunk_size:
            self._chunks.append(pack_events(tail) if self._compress else seal(tail))
            self._sealed += len(tail)
            self._tail = []
        return offset

    def read(self, start: int = 0) -> Iterator[OrderEvent]:
        """The events from offset ``start`` on, as the log holds them now (later appends are not
        read, as with a list's slice), rebuilt a chunk at a time."""
        return _read(list(self._chunks), self._tail[:], max(0, start))

    def __len__(self) -> int:
        return self._sealed + len(self._tail)

    def __iter__(self) -> Iterator[OrderEvent]:
        return self.read()

    def chunks(self) -> list[EventChunk]:
        """Every event as chunks, in order: the sealed ones, then the unsealed tail sealed on the fly
        (not kept: the log is unchanged)."""
        size = self._chunk_size
        return [*self._chunks, *(seal(self._tail[at:at + size]) for at in range(0, len(self._tail), size))]

    def nbytes(self) -> int:
        """Bytes of every event's column buffers (``sys.getsizeof`` of each buffer and of each kept
        object), the unsealed tail counted as it will be once sealed. Decision objects are not counted
        (the platform shares them between events and orders); the lists holding them are."""
        return sum(chunk.nbytes() for chunk in self.chunks())

    def column(self, name: str) -> list:
        """One field of every event, in order, as Python objects."""
        return list(chain.from_iterable(chunk.column(name) for chunk in self.chunks()))


def _column_bytes(column: Column) -> int:
    size = sys.getsizeof(column)
    for slot in type(column).__slots__:
        value = getattr(column, slot)
        size += sys.getsizeof(value)
        if isinstance(value, dict):
            size += sum(sys.getsizeof(v) for v in value.values())
        elif isinstance(value, list) and type(column) is not DecisionsColumn:
            size += sum(sys.getsizeof(v) for v in value)
    return size


def _read(chunks: list[EventChunk], tail: list[OrderEvent], start: int) -> Iterator[OrderEvent]:
    at = 0
    for chunk in chunks:
        end = at + chunk.size
        if end > start:
            yield from islice(chunk.events(), max(0, start - at), None)
        at = end
    yield from tail[max(0, start - at):]

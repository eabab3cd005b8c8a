"""What the simulated venue gateway keeps of a run, kept compactly.

``SimVenueGateway`` keeps the venue-side truth the invariant checker reads after the run: every child
handed to a venue with the event log's length at that moment (``ChildSends``), and every fill a venue
reported (``VenueFills``). Both grow by one or more entries per client order and live until the run's
reports are written, so they are kept as columns rather than one tuple or report object per entry
(issue 19, memory per lifecycle):

* ``ChildSends``: the log lengths in an ``array('q')`` and the children in a list (each child is also
  held by its venue, so only the pointer is ours): 16 instead of ~96 bytes per child;
* ``VenueFills``: the newest ``CHUNK`` reports as they came, older ones sealed into one buffer per
  field: the integer fields as ``array('q')``, the exec ids (unique text) joined by NUL, the other
  fields (kinds, venues, ids and reasons the OMS's children and orders share) as a tuple of the very
  objects: ~110 instead of ~290 bytes per fill, for ~0.5 us of sealing per fill.

A field whose values a buffer would alter (not all exact ``int`` in 64 bits, not all exact ``str`` free
of NUL) is kept as a tuple of the values, so reading back is exact:
iterating gives ``(log length, child)`` pairs and ``ExecutionReport``s equal to those appended, in order
(new report objects for sealed ones; the children and every field's values are the appended objects,
or equal ints and strings).
"""

from __future__ import annotations

from array import array
from dataclasses import fields
from itertools import chain
from operator import attrgetter
from typing import Iterator

from components.domain.venues import ChildOrder, ExecutionReport

CHUNK = 4_096
"""Fills per sealed chunk: the unsealed tail stays small, the per-chunk overheads a few bytes per fill."""

_FIELDS = tuple(f.name for f in fields(ExecutionReport))
_GETTERS = tuple(map(attrgetter, _FIELDS))
_INT_FIELDS = frozenset({"timestamp_ns", "last_qty", "last_px", "leaves_qty", "fee"})
_TEXT_FIELDS = frozenset({"exec_id"})  # unique per fill: joined text rather than a string object each
assert _INT_FIELDS | _TEXT_FIELDS <= set(_FIELDS), _FIELDS
_SEP = "\x00"
_INT = frozenset({int})
_STR = frozenset({str})


class ChildSends:
    """The children handed to venues, each with the event log's length when it was sent: iterates as
    ``(log_length, child)`` pairs, in sending order."""

    __slots__ = ("_at", "_children")

    def __init__(self) -> None:
        self._at = array("q")
        self._children: list[ChildOrder] = []

    def add(self, log_length: int, child: ChildOrder) -> None:
        """Record ``child`` sent when the log held ``log_length`` events (the gateway's hot path)."""
        self._at.append(log_length)
        self._children.append(child)

    def append(self, pair: tuple[int, ChildOrder]) -> None:
        """Record a ``(log_length, child)`` pair (a list's ``append``)."""
        self.add(*pair)

    def __len__(self) -> int:
        return len(self._children)

    def __iter__(self) -> Iterator[tuple[int, ChildOrder]]:
        return zip(self._at, self._children)


class _Joined:
    """Text values joined by NUL (none of them holds one)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def decode(self) -> list[str]:
        return self.text.split(_SEP)


def _column(name: str, values: tuple) -> object:
    """``values`` of the field ``name`` in its buffer, or as they are when the buffer would alter them."""
    if name in _INT_FIELDS and set(map(type, values)) == _INT:
        try:
            return array("q", values)
        except OverflowError:
            return values
    if name in _TEXT_FIELDS and set(map(type, values)) == _STR:
        text = _SEP.join(values)
        if text.count(_SEP) == len(values) - 1:  # no value holds a NUL: splitting gives them back
            return _Joined(text)
    return values


def _decode(column: object) -> list:
    if isinstance(column, (array, tuple)):
        return list(column)
    return column.decode()  # type: ignore[attr-defined]


class VenueFills:
    """The fills venues reported on our children, in order: iterates as ``ExecutionReport``s (read in one pass,
    as the invariant checker does: no indexing, which would decode a sealed chunk per item)."""

    __slots__ = ("_sealed", "_tail", "_chunk", "_sealed_rows")

    def __init__(self, chunk: int = CHUNK) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self._sealed: list[tuple[object, ...]] = []  # per chunk: one buffer per ExecutionReport field
        self._tail: list[ExecutionReport] = []
        self._chunk = chunk
        self._sealed_rows = 0

    def append(self, report: ExecutionReport) -> None:
        tail = self._tail
        tail.append(report)
        if len(tail) >= self._chunk:
            self._seal()

    def _seal(self) -> None:
        tail = self._tail
        self._sealed.append(tuple(_column(name, tuple(map(get, tail))) for name, get in zip(_FIELDS, _GETTERS)))
        self._sealed_rows += len(tail)
        self._tail = []

    def __len__(self) -> int:
        return self._sealed_rows + len(self._tail)

    def __iter__(self) -> Iterator[ExecutionReport]:
        return chain(chain.from_iterable(map(self._reports, self._sealed)), list(self._tail))

    @staticmethod
    def _reports(columns: tuple[object, ...]) -> Iterator[ExecutionReport]:
        return map(ExecutionReport, *map(_decode, columns))

    def nbytes(self) -> int:
        """The sealed buffers' size in bytes (arrays, joined text, tuples' pointers)."""
        total = 0
        for columns in self._sealed:
            for column in columns:
                if isinstance(column, array):
                    total += column.itemsize * len(column)
                elif isinstance(column, _Joined):
                    total += len(column.text)
                else:
                    total += 8 * len(column)  # type: ignore[arg-type]
        return total

"""Scalar random draws without numpy's per-call overhead: the same numbers, the same stream.

A simulated day makes a few hundred thousand scalar draws (``Generator.random()``,
``Generator.integers(low, high)``), and numpy spends most of each one in the call itself (argument
parsing, the generator's lock, a numpy scalar for ``integers``): 1.4 us for ``random()`` and 4.7 us for
``integers(0, 7)`` against 0.06 us for an empty Python call, on this machine. ``ScalarDraws`` calls the
bit generator's own C functions through the pointers numpy publishes (``BitGenerator.ctypes``:
``next_double``, ``next_uint32``) on the very state the ``Generator`` uses, so a draw here and a draw
through the ``Generator`` advance one stream, in the order they are made:

* ``random()`` is ``Generator.random()``: numpy fills a uniform double with ``next_double``;
* ``integers(low, high)`` is ``Generator.integers(low, high)`` for int64 (numpy's default): for a range
  of at most 2**32 values numpy draws ``next_uint32`` and applies Lemire's bounded method
  (``buffered_bounded_lemire_uint32`` in numpy's ``distributions.c``), written out here; a wider range
  goes to numpy itself. One value in the range (``high == low + 1``) draws nothing, as in numpy.

``tests/unit/venues_sim/test_scalar_draws.py`` checks both against numpy, interleaved with numpy's own
draws on the same generator (which share PCG64's buffered half-word with ``next_uint32``).
"""

from __future__ import annotations

import numpy as np

_U32 = 0xFFFFFFFF


class ScalarDraws:
    """``random()`` and ``integers(low, high)`` of ``rng`` (a numpy ``Generator``), one scalar at a time."""

    __slots__ = ("rng", "_state", "_next_double", "_next_uint32")

    def __init__(self, rng: np.random.Generator):
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
        self.rng = rng  # keeps the bit generator (and the state the pointers below point into) alive
        interface = rng.bit_generator.ctypes
        self._state = interface.state
        self._next_double = interface.next_double
        self._next_uint32 = interface.next_uint32

    def random(self) -> float:
        """``rng.random()``: a uniform float in [0, 1)."""
        return self._next_double(self._state)

    def integers(self, low: int, high: int) -> int:
        """``int(rng.integers(low, high))``: a uniform int in [low, high)."""
        span = high - low - 1  # numpy's ``rng``: the largest offset from ``low``
        if span <= 0:
            if span == 0:
                return low  # one value: numpy draws nothing
            raise ValueError(f"high must be > low, got low={low!r}, high={high!r}")
        if span >= _U32:
            if span == _U32:
                return low + self._next_uint32(self._state)
            return int(self.rng.integers(low, high))  # a 64-bit range: numpy's own method
        excl = span + 1
        m = self._next_uint32(self._state) * excl
        leftover = m & _U32
        if leftover < excl:  # maybe in the biased zone: reject below numpy's threshold
            threshold = (_U32 - span) % excl
            while leftover < threshold:
                m = self._next_uint32(self._state) * excl
                leftover = m & _U32
        return low + (m >> 32)

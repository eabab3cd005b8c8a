"""WallClock: the Clock port on the wall clock and an asyncio event loop.

``now_ns`` is ``time.time_ns()``. ``call_at`` schedules on the bound loop
with ``loop.call_later``; called from another thread (a FIX callback, say) it
hops onto the loop with ``call_soon_threadsafe`` first, because asyncio loops
are not thread-safe. Timers asked for before any loop is bound are held and
scheduled at ``bind``, so components can be built before the server starts.

Every timer callback runs through ``invoke`` (the live runtime's critical
section), so a timer never touches component state while a message is being
handled on another thread.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Callable

log = logging.getLogger("live")

Invoker = Callable[[Callable[[], None]], object]


def _call(callback: Callable[[], None]) -> None:
    callback()


class WallClock:
    """Business time = wall time, UTC nanoseconds since the epoch."""

    def __init__(self, invoke: Invoker = _call) -> None:
        self._invoke = invoke
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: int | None = None
        self._held: list[tuple[int, Callable[[], None]]] = []
        self._handles: set[asyncio.TimerHandle] = set()
        self._closed = False

    def now_ns(self) -> int:
        return time.time_ns()

    # -- wiring -------------------------------------------------------------
    def set_invoker(self, invoke: Invoker) -> None:
        """Run every timer callback as ``invoke(callback)`` (e.g. ``LiveRuntime.run``)."""
        self._invoke = invoke

    def bind(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Attach to ``loop`` (default: the running one); call from the loop's thread."""
        self._loop = loop or asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._closed = False
        held, self._held = self._held, []
        for when_ns, callback in held:
            self._schedule(when_ns, callback)

    @property
    def bound(self) -> bool:
        return self._loop is not None

    @property
    def pending(self) -> int:
        """Timers scheduled or held and not yet run."""
        return len(self._handles) + len(self._held)

    def close(self) -> None:
        """Cancel every pending timer; later ``call_at`` calls are dropped."""
        self._closed = True
        for handle in list(self._handles):
            handle.cancel()
        self._handles.clear()
        self._held.clear()
        self._loop = None
        self._thread = None

    # -- the port -------------------------------------------------------------
    def call_at(self, when_ns: int, callback: Callable[[], None]) -> None:
        """Run ``callback`` once at ``when_ns`` (at once if that has passed)."""
        if self._closed:
            return
        loop = self._loop
        if loop is None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                self._held.append((when_ns, callback))
                return
            self.bind(running)
            loop = running
        if threading.get_ident() == self._thread:
            self._schedule(when_ns, callback)
        else:
            self.call_at_threadsafe(when_ns, callback)

    def call_at_threadsafe(self, when_ns: int, callback: Callable[[], None]) -> None:
        """``call_at`` from a thread other than the loop's."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("WallClock is not bound to an event loop")
        loop.call_soon_threadsafe(self._schedule, when_ns, callback)

    # -- internals ----------------------------------------------------------------
    def _schedule(self, when_ns: int, callback: Callable[[], None]) -> None:
        if self._closed or self._loop is None:
            return
        delay_s = max(0, when_ns - time.time_ns()) / 1e9
        holder: list[asyncio.TimerHandle] = []
        handle = self._loop.call_later(delay_s, self._fire, holder, callback)
        holder.append(handle)
        self._handles.add(handle)

    def _fire(self, holder: list[asyncio.TimerHandle], callback: Callable[[], None]) -> None:
        self._handles.discard(holder[0])
        if self._closed:
            return
        try:
            self._invoke(callback)
        except Exception:  # a failing timer must not vanish into asyncio's default handler
            log.exception("timer callback failed")

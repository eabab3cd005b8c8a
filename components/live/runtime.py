"""LiveRuntime: the in-process message dispatcher of the live platform.

``dispatch(message)`` runs the message's handler and then every follow-up,
breadth-first from a deque, synchronously, before it returns. Handlers are
the ``Platform``'s; they never block, so a whole order path (submit ->
validate -> risk -> route) finishes inside one call.

One re-entrant lock guards every component: HTTP handlers, timer callbacks
(``WallClock`` runs them through ``run``) and execution reports arriving on a
venue gateway's own threads (FIX callbacks) all take it, so components stay
single-threaded as the design requires. A dispatch made while a handler is
running on the same thread (a venue answering synchronously inside ``send``)
is queued behind the current message instead of recursing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

log = logging.getLogger("components.live")

T = TypeVar("T")
Observer = Callable[[object, int], None]


class LiveRuntime:
    """Runs ``handle(message) -> follow-ups`` to completion, one caller at a time."""

    def __init__(self, handle: Callable[[object], list[object]], observe: Observer | None = None) -> None:
        self._handle = handle
        self._observe = observe
        self._lock = threading.RLock()
        self._queue: deque[object] = deque()
        self._draining = False
        self.handled = 0
        self.failures: list[tuple[str, str]] = []  # (message type, error): kept, never dropped

    def set_observer(self, observe: Observer | None) -> None:
        """Call ``observe(message, handler_ns)`` after each handler (metrics, benchmarks)."""
        self._observe = observe

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Hold the components for a read-dispatch-read sequence (no other thread interleaves).

        For callers outside handlers (HTTP): a ``dispatch`` inside runs to
        completion before returning. Inside a handler it would only queue.
        """
        with self._lock:
            yield

    def dispatch(self, message: object) -> None:
        """Handle ``message`` and all its follow-ups; thread-safe.

        From inside a handler it only queues (the outer dispatch drains it).
        """
        self.run(self._queue.append, message)

    def run(self, fn: Callable[..., T], *args: object) -> T:
        """Call ``fn(*args)`` holding the components, then drain what it queued."""
        with self._lock:
            if self._draining:
                return fn(*args)
            self._draining = True
            try:
                return fn(*args)
            finally:
                try:
                    self._drain()  # even if fn raised: what it queued still runs
                finally:
                    self._draining = False

    def _drain(self) -> None:
        queue, handle, observe = self._queue, self._handle, self._observe
        while queue:
            message = queue.popleft()
            started = time.perf_counter_ns() if observe else 0
            try:
                follow_ups = handle(message)
            except Exception as exc:  # one bad message must not strand the ones behind it
                self.failures.append((type(message).__name__, repr(exc)))
                log.exception("handler failed message=%s", type(message).__name__)
                continue
            self.handled += 1
            if observe:
                observe(message, time.perf_counter_ns() - started)
            queue.extend(follow_ups)

    @property
    def idle(self) -> bool:
        return not self._queue and not self._draining

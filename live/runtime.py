"""LiveRuntime: the in-process message dispatcher of the live platform.

``dispatch(message)`` runs the message's handler and then every follow-up,
breadth-first from a deque, synchronously, and returns the message's outcome
(what the handler decided: accepted, replayed, refused, ...). Handlers are
the ``Platform``'s; they never block, so a whole order path (submit ->
validate -> risk -> route) finishes inside one call.

One re-entrant lock guards every component: HTTP handlers, timer callbacks
(``WallClock`` runs them through ``run``) and execution reports arriving on a
venue gateway's own threads (FIX callbacks) all take it, so components stay
single-threaded as the design requires. A dispatch made while a handler is
running on the same thread (a venue answering synchronously inside ``send``)
is queued behind the current message instead of recursing (and has no
outcome to return yet).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Callable, ContextManager, TypeVar

from components.domain.outcomes import Handled, HandlerOutcome

log = logging.getLogger("live")

T = TypeVar("T")
Observer = Callable[[object, int], None]


class LiveRuntime:
    """Runs ``handle(message) -> Handled`` and the follow-ups to completion, one caller at a time."""

    def __init__(self, handle: Callable[[object], Handled], observe: Observer | None = None) -> None:
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

    def atomic(self) -> ContextManager[bool]:
        """Hold the components for a read-dispatch-read sequence (no other thread interleaves):
        ``with runtime.atomic(): ...``.

        For callers outside handlers (HTTP): a ``dispatch`` inside runs to
        completion before returning. Inside a handler it would only queue.
        """
        return self._lock  # the re-entrant lock itself: a C context manager, not a generator per request

    def dispatch(self, message: object) -> HandlerOutcome | None:
        """Handle ``message`` and all its follow-ups; return the message's outcome. Thread-safe.

        None if its handler raised (recorded in ``failures``, logged). From
        inside a handler it only queues (the outer dispatch drains it) and
        returns None.
        """
        with self._lock:
            if self._draining:
                self._queue.append(message)
                return None
            self._draining = True
            try:
                self._drain()  # anything left queued (only if an observer raised) still goes first
                return self._step(message)
            finally:
                try:
                    self._drain()
                finally:
                    self._draining = False

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
        queue, step = self._queue, self._step
        while queue:
            step(queue.popleft())

    def _step(self, message: object) -> HandlerOutcome | None:
        """Handle one message and queue its follow-ups; its outcome, or None if the handler raised."""
        observe = self._observe
        started = time.perf_counter_ns() if observe else 0
        try:
            outcome, follow_ups = self._handle(message)
        except Exception as exc:  # one bad message must not strand the ones behind it
            self.failures.append((type(message).__name__, repr(exc)))
            log.exception("handler failed message=%s", type(message).__name__)
            return None
        self.handled += 1
        if observe:
            observe(message, time.perf_counter_ns() - started)
        self._queue.extend(follow_ups)
        return outcome

    @property
    def idle(self) -> bool:
        return not self._queue and not self._draining

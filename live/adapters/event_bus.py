"""Publishing stored order events on the live MessageBus (topic ``events``).

The event log is the system of record; the bus tells other consumers (views,
surveillance, a downstream warehouse) what was stored. ``EventPublisher``
listens to the OMS, which calls it after each event is appended, so nothing
unstored is ever published.

* In process (``InProcessBus``): published at once, subscribers run inside
  the order path (keep them quick).
* NATS (``BlockingNatsBus``): events are queued and one thread publishes
  them in order, so the order path never waits on the network. A publish
  that fails (server away past the bus's deadline) is retried with the same
  message id (the event id), which JetStream de-duplicates: at-least-once to
  the server, once in the stream. Events still queued when the process dies
  are not lost to the record (they are in the log); ``catch_up`` at the
  next start publishes every stored event after the newest one on the topic
  (an outbox whose cursor is the stream itself).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from components.domain.events import OrderEvent
from components.ports import EventLog, MessageBus

log = logging.getLogger("live")

EVENTS_TOPIC = "events"
_STOP = object()


class EventPublisher:
    """Publishes each stored event on ``bus``; ``background`` publishes from a thread of its own."""

    def __init__(self, bus: MessageBus, *, topic: str = EVENTS_TOPIC, background: bool = False,
                 retry_pause_s: float = 0.5) -> None:
        self.bus = bus
        self.topic = topic
        self._background = background
        self._retry_pause_s = retry_pause_s
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.published = 0
        self.retries = 0

    def on_event(self, event: OrderEvent, _order: Any = None) -> None:
        """The OMS listener: called after ``event`` is stored."""
        if self._background:
            self._queue.put(event)
        else:
            self.bus.publish(self.topic, event)
            self.published += 1

    def catch_up(self, event_log: EventLog) -> int:
        """Publish the stored events the bus never got (the process stopped before
        publishing them): those after the newest event on the topic, or all of
        them if the topic is empty. Call before ``start``, before new events.
        Returns how many. A bus that cannot say what it holds (in process: its
        subscribers start with the process) has nothing to catch up."""
        newest = getattr(self.bus, "last_msg_id", None)
        if newest is None:
            return 0
        last_id = newest(self.topic)
        start = 0
        if last_id is not None:
            found = next((i for i, e in enumerate(event_log.read()) if e.event_id == last_id), None)
            if found is None:
                log.warning("the newest event on the bus (%s) is not in this event log: nothing republished",
                            last_id)
                return 0
            start = found + 1
        missed = 0
        for event in event_log.read(start):
            self.on_event(event)
            missed += 1
        if missed:
            log.info("publishing %d stored event(s) the bus never got", missed)
        return missed

    def start(self) -> None:
        if self._background and self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="event-publisher", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            try:
                if event is _STOP:
                    return
                while not self._publish(event) and not self._stopping.is_set():
                    self.retries += 1
                    time.sleep(self._retry_pause_s)
            finally:
                self._queue.task_done()

    def _publish(self, event: OrderEvent) -> bool:
        try:
            self.bus.publish(self.topic, event)
        except Exception as exc:  # the server is away: keep the event and try again
            if self._stopping.is_set():
                return False  # shutting down: ``stop`` reports what is left, in one line
            log.warning("publishing event %s failed (%r); retrying", event.event_id, exc)
            return False
        self.published += 1
        return True

    @property
    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def stop(self, timeout: float = 10.0, unreachable_grace_s: float = 1.0) -> int:
        """Publish what is queued (up to ``timeout`` s), then stop the thread; returns how many
        events were left unpublished (they are in the event log: the next start's ``catch_up``
        publishes them). A bus that says it is disconnected (``connected`` False) for
        ``unreachable_grace_s`` is not waited for: shutdown stays short when the server is gone."""
        if self._thread is None:
            return 0
        deadline = time.monotonic() + timeout
        down_since: float | None = None
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            if getattr(self.bus, "connected", True):
                down_since = None
            else:
                down_since = down_since or time.monotonic()
                if time.monotonic() - down_since >= unreachable_grace_s:
                    break
            time.sleep(0.01)
        unpublished = self._queue.unfinished_tasks
        self._stopping.set()
        self._queue.put(_STOP)
        # A publish in flight against a dead server only ends at the bus's own deadline, or when the bus is
        # closed (next, by the owner): not waited for. The thread is a daemon.
        down = not getattr(self.bus, "connected", True)
        self._thread.join(0.2 if down else min(timeout, max(0.1, deadline - time.monotonic())))
        self._thread = None
        if unpublished:
            reason = "the bus is unreachable" if not getattr(self.bus, "connected", True) else "timed out"
            log.warning("%d event(s) not published at shutdown (%s); they are in the event log and the next "
                        "start publishes them", unpublished, reason)
        return unpublished

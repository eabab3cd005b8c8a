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
  are not lost to the record (they are in the log) but were not published;
  a restart does not republish them (yet).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from components.domain.events import OrderEvent
from components.ports import MessageBus

log = logging.getLogger("components.live")

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
            log.warning("publishing event %s failed (%r); retrying", event.event_id, exc)
            return False
        self.published += 1
        return True

    @property
    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def stop(self, timeout: float = 10.0) -> None:
        """Publish what is queued (up to ``timeout`` s), then stop the thread."""
        if self._thread is None:
            return
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        if self._queue.unfinished_tasks:
            log.warning("%d event(s) not published at shutdown (they are in the event log)",
                        self._queue.unfinished_tasks)
        self._stopping.set()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

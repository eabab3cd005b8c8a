"""One thread feeding a venue gateway's reports to the live runtime, in arrival order.

QuickFIX calls the gateway on its own threads; those callbacks only ``put``
reports (or deferred actions, such as cancels to send after a logon) here.
The pump thread hands each to the sink, the live runtime's thread-safe
``dispatch``, so no QuickFIX thread ever waits for the runtime's lock.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from components.domain.venues import ExecutionReport

log = logging.getLogger("live.fix")

_STOP = object()


class ReportPump:
    """One thread feeding queued reports (and deferred actions) to the sink, in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self.sink: Callable[[ExecutionReport], None] = lambda report: None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fix-gateway-pump", daemon=True)
            self._thread.start()

    def put(self, item: ExecutionReport | Callable[[], None]) -> None:
        self._queue.put(item)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if isinstance(item, ExecutionReport):
                    self.sink(item)
                else:
                    item()
            except Exception:  # one bad report must not stop the ones behind it
                log.exception("pump: failed on %r", item)
            finally:
                self._queue.task_done()

    @property
    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def stop(self, timeout: float) -> None:
        if self._thread is None:
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

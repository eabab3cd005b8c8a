"""Part of a run's output writing done in a forked child while this process writes the rest.

A run folder's files are mostly independent of one another, and a machine has more than one core:
``aside(work)`` forks, runs ``work()`` in the child and hands its (picklable) result back through a
pipe when ``result()`` is called; the parent goes on with the other files meanwhile. The child is a
copy-on-write image of the parent, so ``work`` sees the run as it is (events, world) without any of it
being sent. Whether a child is used at all follows the report's figure workers
(``reports.figure_pool.pool_size``: ``TWIN_REPORT_WORKERS=1`` or one core or no ``fork`` means
everything in this process, in order): then ``work()`` runs at once, here.

An exception in the child is raised again by ``result()`` as an ``AsideError`` carrying the child's
traceback. The child leaves with ``os._exit`` (no atexit handlers, no flush of the parent's buffers).
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import traceback
from typing import Callable, Generic, TypeVar

from reports.figure_pool import pool_size

T = TypeVar("T")


class AsideError(RuntimeError):
    """``work`` failed in the child: the message holds its traceback."""


class Aside(Generic[T]):
    """A ``work()`` running in a forked child (or already done, in process); ``result()`` waits for it."""

    def __init__(self, work: Callable[[], T], fork: bool) -> None:
        self._pid = 0
        self._value: T | None = None
        if not fork:
            self._value = work()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        gc.freeze()  # the child's collections then leave the parent's objects (and their pages) alone
        try:
            pid = os.fork()
        finally:
            gc.unfreeze()
        if pid == 0:  # the child: do the work, send the outcome, leave
            os.close(read_end)
            code = 0
            try:
                outcome = ("ok", work())
            except BaseException:  # noqa: BLE001 - every failure goes back to the parent
                outcome, code = ("error", traceback.format_exc()), 1
            try:
                with os.fdopen(write_end, "wb") as out:
                    out.write(pickle.dumps(outcome))
            finally:
                os._exit(code)
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    def result(self) -> T:
        """The value ``work()`` returned (waiting for the child); ``AsideError`` if it raised."""
        if not self._pid:
            return self._value  # type: ignore[return-value]
        with os.fdopen(self._read_end, "rb") as pipe:
            data = pipe.read()  # all of it before waiting: a child blocked on a full pipe would never end
        os.waitpid(self._pid, 0)
        self._pid = 0
        if not data:
            raise AsideError("the output worker ended without a result (killed?)")
        kind, value = pickle.loads(data)
        if kind == "error":
            raise AsideError(f"writing outputs in a worker process failed:\n{value}")
        self._value = value
        return value


def aside(work: Callable[[], T]) -> Aside[T]:
    """Start ``work()`` in a forked child where the machine has a core to spare (module docstring)."""
    return Aside(work, fork=pool_size(2) > 1)

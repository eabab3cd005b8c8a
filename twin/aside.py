"""Part of a run's output writing done in a forked child while this process writes the rest.

A run folder's files are mostly independent of one another, and a machine has more than one core:
``aside(work)`` forks, runs ``work()`` in the child and hands its (picklable) result back through a
pipe when ``result()`` is called; the parent goes on with the other files meanwhile. The child is a
copy-on-write image of the parent, so ``work`` sees the run as it is (events, world) without any of it
being sent. Whether a child is used at all follows the report's figure workers
(``reports.figure_pool.pool_size``: ``TWIN_REPORT_WORKERS=1`` or one core or no ``fork`` means
everything in this process, in order): then ``work()`` runs at once, here.

Use it as a context manager: leaving the block waits for the child even when the parent failed first,
so no child is left running (or unreaped) behind an exception, still writing into the run folder.

An exception in the child is raised again by ``result()``: the exception itself when it can be sent
back (with the child's traceback added as a note), else an ``AsideError`` holding that traceback.
The child leaves with ``os._exit`` (no atexit handlers; its own stdout and stderr flushed first).
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
    """``work`` failed in the child (or the child died): the message says how."""


class Aside(Generic[T]):
    """A ``work()`` running in a forked child (or already done, in process); ``result()`` waits for it."""

    def __init__(self, work: Callable[[], T], fork: bool) -> None:
        self._pid = 0
        self._value: T | None = None
        self._error: BaseException | None = None
        if not fork:
            self._value = work()
            return
        sys.stdout.flush()
        sys.stderr.flush()
        read_end, write_end = os.pipe()
        frozen_before = gc.get_freeze_count()
        gc.freeze()  # the child's collections then leave the parent's objects (and their pages) alone
        pid = os.fork()
        if pid == 0:  # the child (stays frozen): do the work, send the outcome, leave
            os.close(read_end)
            _run_child(work, write_end)
        if not frozen_before:  # the parent: as it was (a caller's own freeze, e.g. the runner's, is kept)
            gc.unfreeze()
        os.close(write_end)
        self._pid, self._read_end = pid, read_end

    def result(self) -> T:
        """The value ``work()`` returned (waiting for the child); its exception if it raised."""
        if self._pid:
            self._collect()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _collect(self) -> None:
        with os.fdopen(self._read_end, "rb") as pipe:
            data = pipe.read()  # all of it before waiting: a child blocked on a full pipe would never end
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        try:
            kind, value = pickle.loads(data)
        except Exception:  # nothing, or a cut message: the child died before it finished sending
            self._error = AsideError(f"the output worker ended without a result (exit status {status})")
            return
        if kind == "ok":
            self._value = value
        elif kind == "raised":  # (the exception, its traceback text)
            error, text = value
            error.add_note(f"raised in the output worker:\n{text}")
            self._error = error
        else:
            self._error = AsideError(f"writing outputs in a worker process failed:\n{value}")

    def __enter__(self) -> Aside[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pid:  # the block ended before result(): wait for the child all the same
            self._collect()


def _run_child(work: Callable[[], object], write_end: int) -> None:
    """In the forked child: ``work()``, its outcome pickled to ``write_end``, then ``os._exit``."""
    code = 0
    try:
        outcome = pickle.dumps(("ok", work()))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        code, text = 1, traceback.format_exc()
        try:
            outcome = pickle.dumps(("raised", (exc, text)))
        except Exception:  # an exception that does not pickle: its traceback as text
            outcome = pickle.dumps(("failed", text))
    try:
        with os.fdopen(write_end, "wb") as out:
            out.write(outcome)
    except BaseException:  # noqa: BLE001 - the parent reports a missing result
        code = code or 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed stream: nothing to keep
                pass
        os._exit(code)


def aside(work: Callable[[], T]) -> Aside[T]:
    """Start ``work()`` in a forked child where the machine has a core to spare (module docstring)."""
    return Aside(work, fork=pool_size(2) > 1)

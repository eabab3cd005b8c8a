"""One writing live process per run folder.

``twin serve`` takes an exclusive lock on ``RUN_DIR/serve.lock`` before it opens the event log. A second
process started on the same folder (an overlapping restart, a unit file started twice) is refused at once,
naming the process that holds the folder, instead of appending to the same log and anchors: two writers
leave anchors that the next verified start reads as tampering (docs/live.md, "Records you can prove").

The lock is the kernel's (``flock``): it goes with the process however it ends, so a crash never leaves the
folder locked, and the PID written in the file is only what the refusal names. A ``--read-only`` process
writes nothing and takes no lock. A PostgreSQL log shared by two run folders is not covered by this lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_FILE = "serve.lock"


class RunFolderInUse(RuntimeError):
    """Another live process holds the run folder: the message names it and what to do."""


class RunFolderLock:
    """The held lock of one run folder (``RunFolderInUse`` when another process holds it); ``release`` it
    when the process stops writing (the kernel releases it anyway when the process ends)."""

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise RunFolderInUse(f"{run_dir} is already served by process {holder} (it holds {self.path}): "
                                 "stop it first, or serve another --run-dir") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self._fd: int | None = fd

    def release(self) -> None:
        """Let the folder go (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

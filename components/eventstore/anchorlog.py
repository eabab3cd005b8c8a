"""The anchor log file and the anchor key: the I/O around ``anchors``.

Like ``sqlite`` (the store's own file), this is the event store's file
adapter, shared by both runtimes (which may not import each other): the
anchor log is a JSON-lines file next to the event log (``events.sqlite`` ->
``events.anchors``), opened for append only, each line flushed and synced
to disk; the key comes from a key file (``--anchor-key-file`` or live.toml's
``[event_log] anchor_key_file``) or else the ``TWIN_ANCHOR_KEY`` environment
variable, and is refused when the key file lies inside the run folder (a key
next to the log it protects protects nothing).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from .anchors import KEY_ENV, Anchor, AnchorKeyError, parse_key, parse_line, seal
from .chain import GENESIS

SUFFIX = ".anchors"


def anchor_path(events_path: str | os.PathLike) -> Path:
    """The anchor log of an event log file: the same name with ``.anchors`` (events.sqlite -> events.anchors)."""
    return Path(events_path).with_suffix(SUFFIX)


def read_lines(path: str | os.PathLike) -> list[str] | None:
    """The anchor log's lines, or None when there is no anchor log."""
    path = Path(path)
    if not path.is_file():
        return None
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def resolve_key(key_file: str | os.PathLike | None = None, run_dir: str | os.PathLike | None = None,
                environ: Mapping[str, str] | None = None) -> tuple[bytes | None, str]:
    """The anchor key and where it came from: ``key_file`` if given, else ``$TWIN_ANCHOR_KEY``,
    else (None, "none"). AnchorKeyError if the file is unreadable, inside ``run_dir``, or the key too short."""
    environ = os.environ if environ is None else environ
    if key_file:
        path = Path(key_file).expanduser().resolve()
        if run_dir is not None:
            folder = Path(run_dir).expanduser().resolve()
            if path == folder or folder in path.parents:
                raise AnchorKeyError(f"the anchor key file {path} is inside the run folder {folder}: "
                                     "keep the key away from the records it protects")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AnchorKeyError(f"cannot read the anchor key file {path}: {exc}") from None
        return parse_key(text), f"key file {path}"
    value = environ.get(KEY_ENV, "")
    if value.strip():
        return parse_key(value), f"${KEY_ENV}"
    return None, "none"


class AnchorFile:
    """An append-only anchor log: ``write`` seals the next anchor and appends it, synced to disk.

    Continues an existing file (its last line gives the next ``seq`` and ``prev``)."""

    def __init__(self, path: str | os.PathLike, key: bytes | None, durable: bool = True) -> None:
        self.path, self._key, self._durable = Path(path), key, durable
        self._seq, self._prev = 0, GENESIS
        self.last: Anchor | None = None
        lines = [line for line in (read_lines(self.path) or []) if line.strip()]
        if lines:
            try:
                self.last = parse_line(lines[-1])
                self._seq, self._prev = self.last.seq + 1, self.last.mac
            except ValueError:
                self._seq = len(lines)  # a broken last line: the check reports it; keep numbering lines
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    @property
    def keyed(self) -> bool:
        return self._key is not None

    def write(self, offset: int, digest: str, at_ns: int, kind: str) -> Anchor:
        anchor = seal(self._seq, offset, digest, at_ns, kind, self._prev, self._key)
        os.write(self._fd, (anchor.to_line() + "\n").encode("ascii"))
        if self._durable:
            os.fsync(self._fd)
        self._seq, self._prev, self.last = self._seq + 1, anchor.mac, anchor
        return anchor

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def write_anchors(path: str | os.PathLike, hashes: Mapping[int, str], at_ns: int, key: bytes | None,
                  every: int) -> Anchor | None:
    """A fresh anchor log for a finished log whose record hashes are ``hashes`` (offset -> hash, at
    least every ``every``-th and the last): an anchor each ``every`` records and a stop anchor at the end."""
    path = Path(path)
    path.unlink(missing_ok=True)
    if not hashes:
        return None
    end = max(hashes)
    anchors = AnchorFile(path, key, durable=False)
    try:
        for offset in range(every - 1, end, every):
            anchors.write(offset, hashes[offset], at_ns, "every")
        return anchors.write(end, hashes[end], at_ns, "stop")
    finally:
        anchors.close()

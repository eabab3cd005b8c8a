"""A value computed once per immutable object, kept by the object's identity.

For values derived from frozen domain objects that are shared and met again and again (a policy's
shared PASS decision, rendered for every order): looking up by ``id`` costs no hashing of the
object's fields. Each entry holds the object itself, so its id cannot be reused by another object
while the entry exists. The cache is emptied when full: the shared objects come back at once.
"""

from __future__ import annotations

from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """``get(obj)`` -> the value ``put`` for that very object, or None."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self._maxsize = maxsize
        self._entries: dict[int, tuple[object, V]] = {}

    def get(self, obj: object) -> V | None:
        entry = self._entries.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def put(self, obj: object, value: V) -> None:
        if len(self._entries) >= self._maxsize:
            self._entries.clear()
        self._entries[id(obj)] = (obj, value)

    def __len__(self) -> int:
        return len(self._entries)

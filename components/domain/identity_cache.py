"""A value computed once per immutable object, kept by the object's identity.

For values derived from frozen domain objects that are shared and met again and again (a policy's
shared PASS decision, rendered for every order): looking up by ``id`` costs no hashing of the
object's fields. Each entry holds the object itself, so its id cannot be reused by another object
while the entry exists.

When full, the oldest entry makes room for the new one (first in, first out). Emptying the whole
cache at once, as it used to, freed thousands of entries and their objects inside one request: about
4 ms every ~4,000 orders on the live hot path (docs/hot_path_tail.md). A shared object evicted this
way comes back at its next use, one miss later.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """``get(obj)`` -> the value ``put`` for that very object, or None; at most ``maxsize`` entries."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize must be at least 1, got {maxsize}")
        self._maxsize = maxsize
        self._entries: dict[int, tuple[object, V]] = {}
        self._order: deque[int] = deque()  # the entries' ids, in the order they were first put

    def get(self, obj: object) -> V | None:
        entry = self._entries.get(id(obj))
        return entry[1] if entry is not None and entry[0] is obj else None

    def put(self, obj: object, value: V) -> None:
        entries, order, key = self._entries, self._order, id(obj)
        if key not in entries:  # (an entry holds its object: no other object can have this id while it exists)
            if len(entries) >= self._maxsize and order:
                # pop, not del: two threads putting the same object at once may queue its id twice (a cache
                # shared by threads loses an entry early then, and never raises)
                entries.pop(order.popleft(), None)
            order.append(key)
        entries[key] = (obj, value)  # an object put again keeps its place in the queue

    def __len__(self) -> int:
        return len(self._entries)

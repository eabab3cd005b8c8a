"""IdentityCache: a value per object, by identity, never handed to another object."""

from __future__ import annotations

import pytest

from components.domain.identity_cache import IdentityCache


def test_a_value_is_found_for_the_same_object_only():
    cache: IdentityCache[str] = IdentityCache(maxsize=8)
    a = ("x", 1)
    b = tuple(["x", 1])  # equal to a, a distinct object
    cache.put(a, "A")
    assert cache.get(a) == "A"
    assert cache.get(b) is None


def test_a_full_cache_starts_again_and_keeps_working():
    cache: IdentityCache[int] = IdentityCache(maxsize=3)
    objects = [object() for _ in range(7)]
    for i, obj in enumerate(objects):
        cache.put(obj, i)
        assert cache.get(obj) == i
        assert len(cache) <= 3


def test_an_id_reused_by_a_new_object_is_not_mistaken_for_the_old_one():
    cache: IdentityCache[str] = IdentityCache(maxsize=100)
    # The entry holds its object, so no other object can get its id while it is cached (a cache of
    # ids alone would answer "old" here for a new object at a freed object's address).
    for _ in range(200):
        obj = object()
        assert cache.get(obj) is None
        cache.put(obj, "old")


def test_maxsize_must_be_positive():
    with pytest.raises(ValueError, match="maxsize"):
        IdentityCache(maxsize=0)

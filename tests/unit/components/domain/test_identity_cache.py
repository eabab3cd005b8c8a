"""IdentityCache: a value per object, by identity, never handed to another object; oldest out when full."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.domain.identity_cache import IdentityCache


def test_a_value_is_found_for_the_same_object_only():
    cache: IdentityCache[str] = IdentityCache(maxsize=8)
    a = ("x", 1)
    b = tuple(["x", 1])  # equal to a, a distinct object
    cache.put(a, "A")
    assert cache.get(a) == "A"
    assert cache.get(b) is None


def test_a_full_cache_lets_its_oldest_entry_go_one_at_a_time():
    cache: IdentityCache[int] = IdentityCache(maxsize=3)
    objects = [object() for _ in range(7)]
    for i, obj in enumerate(objects):
        cache.put(obj, i)
        assert cache.get(obj) == i
        assert len(cache) == min(i + 1, 3)
    # the three put last are there, the others gone (never all emptied at once)
    assert [cache.get(o) for o in objects] == [None] * 4 + [4, 5, 6]


@given(st.lists(st.integers(0, 9), max_size=200), st.integers(1, 6))
def test_it_is_a_first_in_first_out_cache_of_at_most_maxsize(puts, maxsize):
    """Against a plain model: a put of an object already cached replaces its value and keeps its place;
    a new one makes room by letting the earliest-put go."""
    objects = [object() for _ in range(10)]
    cache: IdentityCache[int] = IdentityCache(maxsize=maxsize)
    model: dict[int, int] = {}  # object index -> value, in first-put order
    for step, k in enumerate(puts):
        if k not in model and len(model) >= maxsize:
            del model[next(iter(model))]
        model[k] = step
        cache.put(objects[k], step)
        assert len(cache) == len(model) <= maxsize
        assert {i: cache.get(o) for i, o in enumerate(objects) if cache.get(o) is not None} == model


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


def test_threads_putting_the_same_objects_never_break_it():
    """Check-then-append is not atomic: two threads may queue one id twice; eviction must not raise."""
    import threading

    cache: IdentityCache[int] = IdentityCache(maxsize=64)
    shared = [object() for _ in range(200)]
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(300):
                for i, obj in enumerate(shared):
                    if cache.get(obj) is None:
                        cache.put(obj, i)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(cache) <= 64 + 4

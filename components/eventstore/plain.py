"""Whether a value holds only exact plain types: what both payload encoders check before their fast path."""

from __future__ import annotations

import operator
from itertools import chain, compress, repeat
from typing import Any, Callable

_CONTAINERS = frozenset({dict, list, tuple})
_STR = frozenset({str})


def plain_check(scalars: frozenset) -> Callable[[Any], bool]:
    """A check that everything inside a value is an exact type of ``scalars``, in dicts with str keys,
    lists or tuples (subclasses such as enums, and anything else, fail it)."""
    plain_kinds = scalars | _CONTAINERS

    def plain(value: Any) -> bool:
        kind = type(value)
        if kind is dict:
            if not _STR.issuperset(map(type, value)):
                return False
            values = value.values()
        elif kind is list or kind is tuple:
            values = value
        else:
            return kind in scalars
        kinds = set(map(type, values))  # one C-level pass; recurse only into the containers
        if kinds <= scalars:
            return True
        return kinds <= plain_kinds and all(plain(v) for v in values if type(v) in _CONTAINERS)

    return plain


_SEQUENCES = frozenset({list, tuple})
_MAX_LEVELS = 64  # deeper nesting is left to the one-value check (and the encoders' own limits)


def all_plain(values: list, scalars: frozenset) -> bool:
    """``all(plain_check(scalars)(v) for v in values)``, for a batch: one level of nesting at a time over
    all the values together, each level a few C-level passes (no Python call per value). False also for
    nesting deeper than ``_MAX_LEVELS`` (a cycle included): the caller then checks value by value."""
    plain_kinds = scalars | _CONTAINERS
    is_, contains, types = operator.is_, operator.contains, map
    for _ in range(_MAX_LEVELS):
        kinds = set(types(type, values))
        if kinds <= scalars:
            return True
        if not kinds <= plain_kinds:
            return False
        dicts = list(compress(values, types(is_, types(type, values), repeat(dict))))
        if dicts and not _STR.issuperset(types(type, chain.from_iterable(dicts))):
            return False
        sequences = compress(values, types(contains, repeat(_SEQUENCES), types(type, values)))
        values = list(chain(chain.from_iterable(types(dict.values, dicts)), chain.from_iterable(sequences)))
    return False


def all_plain_dicts(dicts: list[dict], scalars: frozenset) -> bool:
    """``all_plain(dicts, scalars)`` for values known to be exact dicts (an event batch's ``details``):
    their keys and values are checked directly, without the first level's type sorting."""
    if not _STR.issuperset(map(type, chain.from_iterable(dicts))):
        return False
    return all_plain(list(chain.from_iterable(map(dict.values, dicts))), scalars)

"""Whether a value holds only exact plain types: what both payload encoders check before their fast path."""

from __future__ import annotations

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

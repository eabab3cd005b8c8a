"""A faster ``__init__`` for the frozen, slotted dataclasses built on the hot path.

A frozen dataclass's generated ``__init__`` sets each field with
``object.__setattr__(self, name, value)``: a global look-up, an attribute
look-up and a generic ``__setattr__`` (which finds the slot's descriptor) per
field. ``fast_frozen_init`` swaps in an ``__init__`` with the same parameters
(names, order, defaults, keywords) that calls each slot's descriptor directly,
which builds the very same object in about half the time (an execution report:
13 fields). Everything else the dataclass generated (``__eq__``, ``__hash__``,
``__repr__``, ``__match_args__``, immutability) is untouched.

Only plain fields are supported (no ``default_factory``, ``init=False``,
``InitVar`` or ``__post_init__``): a class using them is refused with an error
naming it, so a later change to such a class cannot silently lose behaviour.
"""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass
from typing import TypeVar

T = TypeVar("T", bound=type)


def fast_frozen_init(cls: T) -> T:
    """Give the frozen, slotted dataclass ``cls`` an equivalent, faster ``__init__`` (a decorator,
    applied above ``@dataclass``)."""
    params = getattr(cls, "__dataclass_params__", None)
    if not is_dataclass(cls) or params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: fast_frozen_init needs a frozen dataclass with slots=True")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: fast_frozen_init does not run __post_init__")
    namespace: dict[str, object] = {}
    signature: list[str] = []
    body: list[str] = []
    for f in fields(cls):
        if not f.init or f.default_factory is not MISSING or f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: fast_frozen_init takes plain fields only")
        namespace[f"_set_{f.name}"] = cls.__dict__[f.name].__set__  # the slot's member descriptor
        if f.default is MISSING:
            signature.append(f.name)
        else:
            namespace[f"_default_{f.name}"] = f.default
            signature.append(f"{f.name}=_default_{f.name}")
        body.append(f"    _set_{f.name}(self, {f.name})")
    source = f"def __init__(self, {', '.join(signature)}):\n" + ("\n".join(body) or "    pass")
    exec(source, namespace)  # noqa: S102 - the source is built above from the class's own field names
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[misc]
    return cls

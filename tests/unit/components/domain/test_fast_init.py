"""``fast_frozen_init``: the faster ``__init__`` builds exactly what the dataclass's own would."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.domain.commands import RouteOrder
from components.domain.fast_init import fast_frozen_init
from components.domain.venues import ExecKind, ExecutionReport, Liquidity


@dataclass(frozen=True, slots=True)
class _Plain:
    a: int
    b: str = "x"
    c: tuple = ()


_Fast = fast_frozen_init(dataclass(frozen=True, slots=True)(type("_Fast", (), {
    "__annotations__": {"a": "int", "b": "str", "c": "tuple"}, "b": "x", "c": ()})))


@given(st.integers(), st.text(), st.tuples(st.integers()))
def test_same_fields_defaults_and_keywords_as_the_generated_init(a, b, c):
    for args, kwargs in (((a,), {}), ((a, b), {}), ((a,), {"c": c}), ((), {"a": a, "b": b, "c": c})):
        plain, fast = _Plain(*args, **kwargs), _Fast(*args, **kwargs)
        assert dataclasses.astuple(plain) == dataclasses.astuple(fast)
    assert _Fast(a, b, c) == _Fast(a=a, b=b, c=c) and hash(_Fast(a, b, c)) == hash(_Fast(a, b, c))


def test_the_objects_stay_frozen_and_arguments_are_checked():
    fast = _Fast(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.a = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        _Fast()  # a is required
    with pytest.raises(TypeError):
        _Fast(1, d=2)  # no such field


def test_hot_path_types_use_it_and_keep_their_values():
    report = ExecutionReport(ExecKind.FILL, "XNAS", "CH-1", "ORD-1", 5, last_qty=100, last_px=1_900_000,
                             liquidity=Liquidity.TAKER, exec_id="E1")
    assert (report.kind, report.last_qty, report.fee, report.reason, report.exec_id) == (
        ExecKind.FILL, 100, 0, "", "E1")
    assert RouteOrder("ORD-1").exclude == frozenset()
    assert "_set_kind" in ExecutionReport.__init__.__code__.co_names  # the fast one is installed


def test_classes_it_cannot_copy_are_refused():
    @dataclass(frozen=True, slots=True)
    class WithFactory:
        items: list = field(default_factory=list)

    @dataclass(frozen=True, slots=True)
    class WithPostInit:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True)
    class NoSlots:
        a: int

    with pytest.raises(TypeError, match="WithFactory.items: fast_frozen_init takes plain fields only"):
        fast_frozen_init(WithFactory)
    with pytest.raises(TypeError, match="WithPostInit: fast_frozen_init does not run __post_init__"):
        fast_frozen_init(WithPostInit)
    with pytest.raises(TypeError, match="NoSlots: fast_frozen_init needs a frozen dataclass with slots=True"):
        fast_frozen_init(NoSlots)

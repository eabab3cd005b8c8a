"""Plain data (as tomllib gives it) -> frozen dataclasses, by their type hints.

The TOML twin of ``scenarios.schema`` (which walks YAML nodes): the same hint
vocabulary and the same checks (``Range``, ``Pattern``, ``NonEmpty``,
``Unique``, ``MONEY``), and the same ``_problems`` hook for cross-field rules,
so the scenario dataclasses can be reused as they are. TOML keeps no line
numbers in its data, so errors name the dotted field only.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import typing
from decimal import Decimal
from typing import Annotated, Any

from components.domain.money import to_units
from scenarios.schema import MONEY, NonEmpty, Pattern, Range, Unique, default_of, has_default

DOCUMENT = "<document>"
_MAX_MONEY_TEXT = 32
_HINTS: dict[type, dict[str, Any]] = {}


class LiveConfigError(ValueError):
    """One problem in a live config: the source, the dotted field, what is wrong."""

    def __init__(self, source: str, field: str, problem: str) -> None:
        self.source = source
        self.field = field
        self.problem = problem
        super().__init__(f"{source}: {field}: {problem}")


def build(cls: type, data: Any, source: str) -> Any:
    """Build dataclass ``cls`` from ``data``; every problem is a LiveConfigError."""
    return _Walker(source).dataclass(cls, data, "", None)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return _HINTS[cls]


class _Walker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> typing.NoReturn:
        raise LiveConfigError(self.source, path or DOCUMENT, problem)

    def value(self, hint: Any, data: Any, path: str, base: Any) -> Any:
        checks: tuple[Any, ...] = ()
        if typing.get_origin(hint) is Annotated:
            hint, *rest = typing.get_args(hint)
            checks = tuple(rest)
        money = MONEY in checks
        if money:
            value = self.money(data, path)
        elif dataclasses.is_dataclass(hint):
            value = self.dataclass(hint, data, path, base)
        elif typing.get_origin(hint) is tuple:
            value = self.tuple(typing.get_args(hint)[0], data, path)
        else:
            value = self.scalar(hint, data, path)
        for check in checks:
            self.check(check, value, path, money)
        return value

    def dataclass(self, cls: type, data: Any, path: str, base: Any) -> Any:
        if not isinstance(data, dict):
            self.fail(path, f"must be a table, got {_kind(data)}")
        fields = {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_")}
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for key, raw in data.items():
            key_path = _join(path, key)
            if key not in fields:
                close = difflib.get_close_matches(key, list(fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(key_path, f"unknown key{hint} (allowed: {', '.join(fields)})")
            field_base = getattr(base, key) if base is not None else default_of(fields[key])
            values[key] = self.value(hints[key], raw, key_path, field_base)
        if base is None:
            for name, f in fields.items():
                if name not in values and not has_default(f):
                    self.fail(_join(path, name), "is required")
            obj = cls(**values)
        else:  # a partly given section keeps the defaults of the rest
            obj = dataclasses.replace(base, **values)
        problems = getattr(obj, "_problems", None)
        if problems is not None:
            for rel, problem in problems():
                self.fail(_join(path, rel) if not rel.startswith("[") else path + rel, problem)
        return obj

    def tuple(self, item_hint: Any, data: Any, path: str) -> tuple[Any, ...]:
        if not isinstance(data, list):
            self.fail(path, f"must be an array, got {_kind(data)}")
        return tuple(self.value(item_hint, item, f"{path}[{i}]", None) for i, item in enumerate(data))

    def money(self, data: Any, path: str) -> int:
        expect = 'must be a decimal amount like "190.25" (at most 4 decimal places)'
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail(path, f"{expect}, got {_kind(data)}")
        # A TOML float is read through its shortest repr, so 0.003 means exactly 0.003.
        text = repr(data) if isinstance(data, float) else str(data).strip().replace("_", "")
        if len(text) > _MAX_MONEY_TEXT:
            self.fail(path, f"{expect}, got a {len(text)}-character value")
        try:
            return to_units(Decimal(text))
        except (ValueError, ArithmeticError):
            self.fail(path, f"{expect}, got {_kind(data)}")

    def scalar(self, hint: Any, data: Any, path: str) -> Any:
        if hint is str:
            if not isinstance(data, str):
                self.fail(path, f"must be text, got {_kind(data)}")
            return data
        if hint is bool:
            if not isinstance(data, bool):
                self.fail(path, f"must be true or false, got {_kind(data)}")
            return data
        if hint is int:
            if isinstance(data, bool) or not isinstance(data, int):
                self.fail(path, f"must be a whole number, got {_kind(data)}")
            return data
        if hint is float:
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                self.fail(path, f"must be a number, got {_kind(data)}")
            if not math.isfinite(data):
                self.fail(path, f"must be a finite number, got {_kind(data)}")
            return float(data)
        raise TypeError(f"live config schema: unsupported type hint {hint!r} at {path}")  # a schema bug

    def check(self, check: Any, value: Any, path: str, money: bool) -> None:
        if isinstance(check, Range):
            problem = check.problem(value, money)
            if problem:
                self.fail(path, problem)
        elif isinstance(check, NonEmpty):
            if not value:
                self.fail(path, f"must list at least one {check.what}")
        elif isinstance(check, Unique):
            first: dict[Any, int] = {}
            for i, item in enumerate(value):
                key = getattr(item, check.attr)
                if key in first:
                    self.fail(f"{path}[{i}].{check.attr}", f"duplicate {check.attr} {key!r} (first at {path}[{first[key]}])")
                first[key] = i
        elif isinstance(check, Pattern):
            if not re.fullmatch(check.regex, value):
                self.fail(path, f"must be {check.hint}, got {value!r}")
        elif check is not MONEY:
            raise TypeError(f"live config schema: unknown check {check!r} at {path}")

"""Typed YAML → frozen dataclasses: the generic validation mechanism for scenario files.

The shape of a scenario is declared once, as frozen dataclasses with type hints
(see ``scenarios.config``). This module walks a composed YAML node tree (so it
knows the line of every key) against those hints and builds the dataclasses, or
raises exactly one :class:`ScenarioError` naming the dotted field, the 1-based
line and the problem.

Supported hints:

* ``str``, ``int``, ``float``, ``bool``, ``datetime.date`` (``"2026-11-24"``),
  ``datetime.time`` (``"09:30"``);
* ``Money`` (``Annotated[int, MONEY]``): a decimal dollar amount in YAML
  (``"0.0030"``, ``0.0030`` or ``50000``) stored as integer units; the exact
  source text is used, never a binary float;
* ``tuple[T, ...]`` from a YAML list; a nested frozen dataclass from a mapping;
* ``T | None`` (an optional section, default None): YAML null or an empty
  value gives None, anything else is parsed as ``T``;
* ``Annotated[T, *checks]`` with :class:`Range`, :class:`NonEmpty`,
  :class:`Unique` and :class:`Pattern` checks.

A dataclass may define ``_problems(self) -> Iterable[tuple[str, str]]`` for
cross-field rules; it yields (relative dotted path, problem) and the parser
turns the first one into a ScenarioError located at that field's line.

A nested dataclass given partially in YAML is overlaid on the field's default
instance, so ``services: {gateway: {median_ms: 5}}`` keeps gateway's default
p99.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from components.domain.money import to_units

# --------------------------------------------------------------------------- error


class ScenarioError(ValueError):
    """One problem in a scenario file: where it is and what is wrong."""

    def __init__(self, source: str, line: int, field: str, problem: str) -> None:
        self.source = source
        self.line = line
        self.field = field
        self.problem = problem
        super().__init__(f"{source}:{line}: {field}: {problem}")

    def __reduce__(self):  # picklable across process pools
        return (ScenarioError, (self.source, self.line, self.field, self.problem))


DOCUMENT = "<document>"
"""The ``field`` of errors about the file as a whole (syntax, empty, not a mapping)."""

# --------------------------------------------------------------------------- checks


@dataclass(frozen=True, slots=True)
class _MoneyTag:
    """Marker: the int is money in units, written in YAML as a decimal dollar amount."""


MONEY = _MoneyTag()
Money = Annotated[int, MONEY]
"""Integer units (1 dollar = 10_000); a decimal string or number in YAML."""


@dataclass(frozen=True, slots=True)
class Range:
    """Inclusive (ge/le) or exclusive (gt/lt) bounds; money bounds are in units."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None

    def problem(self, value: Any, money: bool) -> str | None:
        show = (lambda v: _show_money(int(v))) if money else repr
        if self.ge is not None and value < self.ge:
            return f"must be >= {show(self.ge)}, got {show(value)}"
        if self.gt is not None and value <= self.gt:
            return f"must be > {show(self.gt)}, got {show(value)}"
        if self.le is not None and value > self.le:
            return f"must be <= {show(self.le)}, got {show(value)}"
        if self.lt is not None and value >= self.lt:
            return f"must be < {show(self.lt)}, got {show(value)}"
        return None


@dataclass(frozen=True, slots=True)
class NonEmpty:
    """The list must have at least one item."""

    what: str = "item"


@dataclass(frozen=True, slots=True)
class Unique:
    """Items of a list of dataclasses must differ in ``attr``."""

    attr: str


@dataclass(frozen=True, slots=True)
class Pattern:
    """A string must fully match ``regex``; ``hint`` says what that means to a person."""

    regex: str
    hint: str


def _show_money(units: int) -> str:
    return f'"{Decimal(units) / 10_000:f}"'


# --------------------------------------------------------------------------- parser

_TAG = "tag:yaml.org,2002:"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_MONEY_TEXT = 32

_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return _HINTS[cls]


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _TAG + "null":
        return "null"
    return repr(node.value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Context:
    """Source name plus the line of every dotted path seen so far."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}

    def fail(self, path: str, line: int, problem: str) -> typing.NoReturn:
        raise ScenarioError(self.source, line, path or DOCUMENT, problem)

    def line_for(self, path: str, fallback: int) -> int:
        """Line of ``path``, else of its nearest recorded parent, else ``fallback``."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return fallback


def build(cls: type, text: str, source: str) -> Any:
    """Parse YAML ``text`` into dataclass ``cls``; every problem is a ScenarioError."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(source, line, DOCUMENT, f"YAML syntax error: {what}") from None
    if root is None or (isinstance(root, ScalarNode) and root.tag == _TAG + "null"):
        raise ScenarioError(source, 1, DOCUMENT, "file is empty; a scenario needs at least `name:`")
    ctx = _Context(source)
    if not isinstance(root, MappingNode):
        ctx.fail("", _line(root), f"must be a mapping of sections, got {_kind(root)}")
    return _parse_dataclass(cls, root, "", ctx, None)


def _optional_of(hint: Any) -> Any:
    """``T`` for a hint ``T | None`` (or ``Optional[T]``), else None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


def _parse(hint: Any, node: Node, path: str, ctx: _Context, base: Any) -> Any:
    inner = _optional_of(hint)
    if inner is not None:
        if isinstance(node, ScalarNode) and node.tag == _TAG + "null":
            return None  # `section: null` (or an empty `section:`) means left out
        hint = inner
    checks: tuple[Any, ...] = ()
    if typing.get_origin(hint) is Annotated:
        hint, *rest = typing.get_args(hint)
        checks = tuple(rest)
    money = MONEY in checks
    if money:
        value = _parse_money(node, path, ctx)
    elif dataclasses.is_dataclass(hint):
        value = _parse_dataclass(hint, node, path, ctx, base)
    elif typing.get_origin(hint) is tuple:
        value = _parse_tuple(typing.get_args(hint)[0], node, path, ctx)
    else:
        value = _parse_scalar(hint, node, path, ctx)
    for check in checks:
        _apply_check(check, value, node, path, ctx, money)
    return value


def _parse_dataclass(cls: type, node: Node, path: str, ctx: _Context, base: Any) -> Any:
    if isinstance(node, ScalarNode) and node.tag == _TAG + "null":
        node = MappingNode(_TAG + "map", [], node.start_mark, node.end_mark)
    if not isinstance(node, MappingNode):
        ctx.fail(path, _line(node), f"must be a mapping, got {_kind(node)}")
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_")}
    hints = _hints(cls)
    seen: dict[str, int] = {}
    values: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line = _line(key_node)
        if not isinstance(key_node, ScalarNode) or key_node.tag != _TAG + "str":
            ctx.fail(path, line, f"keys must be plain names, got {_kind(key_node)}")
        key = key_node.value
        key_path = _join(path, key)
        if key in seen:
            ctx.fail(key_path, line, f"duplicate key (first given at line {seen[key]})")
        seen[key] = line
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            ctx.fail(key_path, line, f"unknown key{hint} (allowed: {', '.join(fields)})")
        ctx.lines[key_path] = line
        field_base = getattr(base, key) if base is not None else default_of(fields[key])
        values[key] = _parse(hints[key], value_node, key_path, ctx, field_base)
    if base is None:
        for name, f in fields.items():
            if name not in values and not has_default(f):
                ctx.fail(_join(path, name), _line(node), "is required")
        obj = cls(**values)
    else:
        obj = dataclasses.replace(base, **values)
    problems = getattr(obj, "_problems", None)
    if problems is not None:
        for rel, problem in problems():
            full = _join(path, rel) if not rel.startswith("[") else path + rel
            ctx.fail(full, ctx.line_for(full, _line(node)), problem)
    return obj


def has_default(f: dataclasses.Field) -> bool:
    """True when a dataclass field may be left out (it has a default or a factory)."""
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def default_of(f: dataclasses.Field) -> Any:
    """A field's default value (a fresh one for a factory); None when it has none."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _parse_tuple(item_hint: Any, node: Node, path: str, ctx: _Context) -> tuple[Any, ...]:
    if isinstance(node, ScalarNode) and node.tag == _TAG + "null":
        return ()
    if not isinstance(node, SequenceNode):
        ctx.fail(path, _line(node), f"must be a list, got {_kind(node)}")
    items = []
    for i, item in enumerate(node.value):
        item_path = f"{path}[{i}]"
        ctx.lines[item_path] = _line(item)
        items.append(_parse(item_hint, item, item_path, ctx, None))
    return tuple(items)


def _parse_money(node: Node, path: str, ctx: _Context) -> int:
    expect = 'must be a decimal amount like "0.0030" (at most 4 decimal places)'
    if not isinstance(node, ScalarNode) or node.tag not in (_TAG + "str", _TAG + "int", _TAG + "float"):
        ctx.fail(path, _line(node), f"{expect}, got {_kind(node)}")
    text = node.value.strip().replace("_", "")
    if len(text) > _MAX_MONEY_TEXT:
        ctx.fail(path, _line(node), f"{expect}, got a {len(text)}-character value")
    try:
        return to_units(text)
    except (ValueError, ArithmeticError):
        ctx.fail(path, _line(node), f"{expect}, got {node.value!r}")


def _parse_scalar(hint: Any, node: Node, path: str, ctx: _Context) -> Any:
    expect = {
        str: "must be text",
        int: "must be a whole number",
        float: "must be a number",
        bool: "must be true or false",
        date: 'must be a date like "2026-11-24"',
        time: 'must be a time like "09:30"',
    }.get(hint)
    if expect is None:  # a schema bug, not a user error
        raise TypeError(f"scenario schema: unsupported type hint {hint!r} at {path}")
    line = _line(node)
    if not isinstance(node, ScalarNode) or node.tag == _TAG + "null":
        ctx.fail(path, line, f"{expect}, got {_kind(node)}")
    tag = node.tag
    if hint is str:
        return node.value  # the source text, so `ON` or `2026` stay strings
    if hint is bool:
        if tag != _TAG + "bool":
            ctx.fail(path, line, f"{expect}, got {_kind(node)}")
        return _CONSTRUCTOR.construct_yaml_bool(node)
    if hint is int:
        if tag != _TAG + "int":
            ctx.fail(path, line, f"{expect}, got {_kind(node)}")
        return int(_CONSTRUCTOR.construct_yaml_int(node))
    if hint is float:
        if tag == _TAG + "int":
            return float(_CONSTRUCTOR.construct_yaml_int(node))
        if tag != _TAG + "float":
            ctx.fail(path, line, f"{expect}, got {_kind(node)}")
        value = float(_CONSTRUCTOR.construct_yaml_float(node))
        if not math.isfinite(value):
            ctx.fail(path, line, f"must be a finite number, got {_kind(node)}")
        return value
    text = node.value.strip()
    if hint is date:
        if _DATE_RE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        ctx.fail(path, line, f"{expect}, got {_kind(node)}")
    match = _TIME_RE.fullmatch(text)  # hint is time; raw text, so unquoted 9:30 works
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    ctx.fail(path, line, f"{expect}, got {_kind(node)}")


def _apply_check(check: Any, value: Any, node: Node, path: str, ctx: _Context, money: bool) -> None:
    if isinstance(check, Range):
        problem = check.problem(value, money)
        if problem:
            ctx.fail(path, _line(node), problem)
    elif isinstance(check, NonEmpty):
        if not value:
            ctx.fail(path, _line(node), f"must list at least one {check.what}")
    elif isinstance(check, Unique):
        first: dict[Any, int] = {}
        for i, item in enumerate(value):
            key = getattr(item, check.attr)
            item_path = f"{path}[{i}].{check.attr}"
            if key in first:
                ctx.fail(
                    item_path,
                    ctx.line_for(item_path, _line(node)),
                    f"duplicate {check.attr} {key!r} (first at {path}[{first[key]}])",
                )
            first[key] = i
    elif isinstance(check, Pattern):
        if not re.fullmatch(check.regex, value):
            ctx.fail(path, _line(node), f"must be {check.hint}, got {value!r}")
    elif check is not MONEY:
        raise TypeError(f"scenario schema: unknown check {check!r} at {path}")

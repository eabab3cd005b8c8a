"""The one config walker: a document of nodes (YAML or TOML) -> frozen dataclasses, by their type hints.

:func:`build` applies the schema language of ``components.config.schema`` to
a :class:`~components.config.nodes.Document` from ``yaml_reader.read_yaml``
or ``toml_reader.read_toml``. It never looks at the format: what differs
between YAML and TOML (which scalars are text, which are numbers, where lines
are) is decided by the reader when it builds the nodes. Every problem is
raised as the document's error class (a :class:`ConfigError` subclass) with
the 1-based line, the dotted field (``venues[1].taker_fee``) and the problem.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from datetime import date, time
from typing import Annotated, Any, Callable

from components.domain.money import to_units

from .nodes import BOOL, FLOAT, INT, MAPPING, NULL, SCALAR, SEQUENCE, STR, Document, Node
from .schema import DOCUMENT, MONEY, NonEmpty, Pattern, Range, Unique, default_of, has_default

_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_MONEY_TEXT = 32
_MAX_SHOWN = 60
_EXPECT = {
    str: "must be text",
    int: "must be a whole number",
    float: "must be a number",
    bool: "must be true or false",
    date: 'must be a date like "2026-11-24"',
    time: 'must be a time like "09:30"',
}
_MONEY_EXPECT = 'must be a decimal amount like "0.0030" (at most 4 decimal places)'

_HINTS: dict[type, dict[str, Any]] = {}


def build(cls: type, document: Document) -> Any:
    """Build dataclass ``cls`` from ``document``; every problem is one ``document.error``.

    An empty document is an empty mapping at line 1: every field takes its default.
    """
    walk = _Walk(document)
    root = document.root if document.root is not None else Node(MAPPING, 1, [])
    if root.kind != MAPPING:
        walk.fail("", root.line, f"must be {document.syntax.mapping} of sections, got {walk.shown(root)}")
    return walk.dataclass(cls, root, "", None)


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return _HINTS[cls]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _optional_of(hint: Any) -> Any:
    """``T`` for a hint ``T | None`` (or ``Optional[T]``), else None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


def _is_null(node: Node) -> bool:
    return node.kind == SCALAR and node.tag == NULL


class _Walk:
    """One walk of one document: its error class, and the line of every dotted path seen so far."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.lines: dict[str, int] = {}

    def fail(self, path: str, line: int, problem: str) -> typing.NoReturn:
        raise self.document.error(self.document.source, line, path or DOCUMENT, problem)

    def line_for(self, path: str, fallback: int) -> int:
        """Line of ``path``, else of its nearest recorded parent, else ``fallback``."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return fallback

    def shown(self, node: Node) -> str:
        """The node as an error message shows what was given: its kind, or the scalar as written."""
        if node.kind == MAPPING:
            return self.document.syntax.mapping
        if node.kind == SEQUENCE:
            return self.document.syntax.sequence
        if node.tag == NULL:
            return "null"
        text = repr(node.text if node.text is not None else node.value)
        return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 3] + "..."

    # -- by hint

    def value(self, hint: Any, node: Node, path: str, base: Any) -> Any:
        inner = _optional_of(hint)
        if inner is not None:
            if _is_null(node):
                return None  # `section: null` (or an empty `section:`) means left out
            hint = inner
        checks: tuple[Any, ...] = ()
        if typing.get_origin(hint) is Annotated:
            hint, *rest = typing.get_args(hint)
            checks = tuple(rest)
        money = MONEY in checks
        if money:
            value = self.money(node, path)
        elif dataclasses.is_dataclass(hint):
            value = self.dataclass(hint, node, path, base)
        elif typing.get_origin(hint) is tuple:
            value = self.tuple(typing.get_args(hint)[0], node, path)
        else:
            value = self.scalar(hint, node, path)
        for check in checks:
            self.check(check, value, node, path, money)
        return value

    def dataclass(self, cls: type, node: Node, path: str, base: Any) -> Any:
        if _is_null(node):
            node = Node(MAPPING, node.line, [])
        if node.kind != MAPPING:
            self.fail(path, node.line, f"must be {self.document.syntax.mapping}, got {self.shown(node)}")
        fields = {f.name: f for f in dataclasses.fields(cls) if not f.name.startswith("_")}
        hints = _hints(cls)
        seen: dict[str, int] = {}
        values: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.line
            if key_node.kind != SCALAR or key_node.tag != STR:
                self.fail(path, line, f"keys must be plain names, got {self.shown(key_node)}")
            key = key_node.text
            key_path = _join(path, key)
            if key in seen:
                self.fail(key_path, line, f"duplicate key (first given at line {seen[key]})")
            seen[key] = line
            if key not in fields:
                close = difflib.get_close_matches(key, list(fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(key_path, line, f"unknown key{hint} (allowed: {', '.join(fields)})")
            self.lines[key_path] = line
            field_base = getattr(base, key) if base is not None else default_of(fields[key])
            values[key] = self.value(hints[key], value_node, key_path, field_base)
        if base is None:
            for name, f in fields.items():
                if name not in values and not has_default(f):
                    self.fail(_join(path, name), node.line, "is required")
            obj = cls(**values)
        else:  # a partly given section keeps the defaults of the rest
            obj = dataclasses.replace(base, **values)
        problems = getattr(obj, "_problems", None)
        if problems is not None:
            for rel, problem in problems():
                full = _join(path, rel) if not rel.startswith("[") else path + rel
                self.fail(full, self.line_for(full, node.line), problem)
        return obj

    def tuple(self, item_hint: Any, node: Node, path: str) -> tuple[Any, ...]:
        if _is_null(node):
            return ()
        if node.kind != SEQUENCE:
            self.fail(path, node.line, f"must be {self.document.syntax.sequence}, got {self.shown(node)}")
        items = []
        for i, item in enumerate(node.value):
            item_path = f"{path}[{i}]"
            self.lines[item_path] = item.line
            items.append(self.value(item_hint, item, item_path, None))
        return tuple(items)

    def money(self, node: Node, path: str) -> int:
        if node.kind != SCALAR or node.tag not in (STR, INT, FLOAT):
            self.fail(path, node.line, f"{_MONEY_EXPECT}, got {self.shown(node)}")
        # The exact spelling when the format keeps one, else the number's shortest repr (which
        # reads back as the same float): never the binary float itself.
        text = node.text if node.text is not None else repr(node.value)
        text = text.strip().replace("_", "")
        if len(text) > _MAX_MONEY_TEXT:
            self.fail(path, node.line, f"{_MONEY_EXPECT}, got a {len(text)}-character value")
        try:
            return to_units(text)
        except (ValueError, ArithmeticError):
            self.fail(path, node.line, f"{_MONEY_EXPECT}, got {self.shown(node)}")

    def scalar(self, hint: Any, node: Node, path: str) -> Any:
        expect = _EXPECT.get(hint)
        if expect is None:  # a schema bug, not a user error
            raise TypeError(f"config schema: unsupported type hint {hint!r} at {path}")
        if node.kind != SCALAR or node.tag == NULL:
            self.fail(path, node.line, f"{expect}, got {self.shown(node)}")
        if hint is str:
            if node.text is None:
                self.fail(path, node.line, f"{expect}, got {self.shown(node)}")
            return node.text
        if hint is bool:
            if node.tag != BOOL:
                self.fail(path, node.line, f"{expect}, got {self.shown(node)}")
            return node.value
        if hint is int:
            if node.tag != INT:
                self.fail(path, node.line, f"{expect}, got {self.shown(node)}")
            return int(node.value)
        if hint is float:
            return self.number(node, path, expect)
        if hint is date:
            return self.moment(node, path, expect, date, _parse_date)
        return self.moment(node, path, expect, time, _parse_time)

    def number(self, node: Node, path: str, expect: str) -> float:
        if node.tag not in (INT, FLOAT):
            self.fail(path, node.line, f"{expect}, got {self.shown(node)}")
        try:
            value = float(node.value)
        except OverflowError:  # an integer beyond any float
            value = math.inf
        if not math.isfinite(value):
            self.fail(path, node.line, f"must be a finite number, got {self.shown(node)}")
        return value

    def moment(self, node: Node, path: str, expect: str, kind: type, parse: Callable[[str], Any]) -> Any:
        """A date or time: the format's own (a TOML date), else parsed from the text."""
        if type(node.value) is kind:  # not a datetime, which is also a date
            return node.value
        value = parse(node.text.strip()) if node.text is not None else None
        if value is None:
            self.fail(path, node.line, f"{expect}, got {self.shown(node)}")
        return value

    def check(self, check: Any, value: Any, node: Node, path: str, money: bool) -> None:
        if isinstance(check, Range):
            problem = check.problem(value, money)
            if problem:
                self.fail(path, node.line, problem)
        elif isinstance(check, NonEmpty):
            if not value:
                self.fail(path, node.line, f"must list at least one {check.what}")
        elif isinstance(check, Unique):
            first: dict[Any, int] = {}
            for i, item in enumerate(value):
                key = getattr(item, check.attr)
                item_path = f"{path}[{i}].{check.attr}"
                if key in first:
                    self.fail(item_path, self.line_for(item_path, node.line),
                              f"duplicate {check.attr} {key!r} (first at {path}[{first[key]}])")
                first[key] = i
        elif isinstance(check, Pattern):
            if not re.fullmatch(check.regex, value):
                self.fail(path, node.line, f"must be {check.hint}, got {value!r}")
        elif check is not MONEY:
            raise TypeError(f"config schema: unknown check {check!r} at {path}")


def _parse_date(text: str) -> date | None:
    if _DATE_RE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    return None


def _parse_time(text: str) -> time | None:
    match = _TIME_RE.fullmatch(text)  # raw text, so an unquoted YAML 9:30 works
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return time(int(match[1]), int(match[2]))
    return None

"""TOML text -> config nodes: tomllib's values, with the line of every key found in the text.

Scalars keep the TOML typing rules: ``tag`` follows the TOML type (``bool``,
``int``, ``float``, ``str``, ``date``, ``time``, ``datetime``), ``value`` is
tomllib's value, and only a TOML string has ``text``, so a ``str`` field
takes only a string and money is read from a string, an integer, or a float
through its shortest repr (``0.003`` is exactly 0.003).

tomllib keeps no positions, so :func:`key_lines` finds them in the text once
tomllib has accepted it: table headers ``[a.b]``, array-of-tables headers
``[[a.b]]`` (the n-th one is item n), ``key =`` lines with dotted or quoted
keys, inline tables and the items of arrays. A value whose line is not found
takes its nearest parent's (the document's is 1).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime, time
from typing import Any

from .nodes import BOOL, FLOAT, INT, MAPPING, SCALAR, SEQUENCE, STR, Document, Node, Syntax
from .schema import DOCUMENT, ConfigError

TOML = Syntax("TOML", "a table", "an array")

Path = tuple[str | int, ...]
"""Keys and array indices from the document root."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})?")
_ATOM = re.compile(r"[^\s,\]}#]+")  # numbers, booleans, dates, times: up to the next separator
_AT_LINE = re.compile(r"at line (\d+)")


def read_toml(text: str, source: str, error: type[ConfigError] = ConfigError) -> Document:
    """Parse TOML ``text``; a syntax error is raised as ``error`` at its line, field ``<document>``."""
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, or int() refusing a number thousands of digits long
        raise error(source, _syntax_error_line(exc, text), DOCUMENT, f"TOML syntax error: {exc}") from None
    return Document(source, _node(data, (), key_lines(text)), TOML, error)


def _syntax_error_line(exc: ValueError, text: str) -> int:
    found = _AT_LINE.search(str(exc))
    if found:
        return int(found[1])
    if "end of document" in str(exc):
        return text.rstrip("\n").count("\n") + 1
    return 1


def _line_of(path: Path, lines: dict[Path, int]) -> int:
    """Line of ``path``, else of its nearest parent with one, else 1."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return 1


def _node(value: Any, path: Path, lines: dict[Path, int]) -> Node:
    line = _line_of(path, lines)
    if isinstance(value, dict):
        pairs = [(Node(SCALAR, _line_of(path + (k,), lines), k, STR, k), _node(v, path + (k,), lines))
                 for k, v in value.items()]
        return Node(MAPPING, line, pairs)
    if isinstance(value, list):
        return Node(SEQUENCE, line, [_node(item, path + (i,), lines) for i, item in enumerate(value)])
    if isinstance(value, str):
        return Node(SCALAR, line, value, STR, value)
    return Node(SCALAR, line, value, _tag(value))


def _tag(value: Any) -> str:
    if isinstance(value, bool):  # before int: a bool is an int to Python, never to TOML
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, datetime):  # before date, its base class
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    return type(value).__name__


def key_lines(text: str) -> dict[Path, int]:
    """The 1-based line where each key path (and array item) of TOML ``text`` is defined.

    ``text`` must be TOML tomllib accepts. Best effort: on anything the scanner
    does not follow it stops and returns what it found, since a missing line
    only costs an error message its precision (the caller falls back to the
    nearest parent's line).
    """
    scanner = _Scanner(text)
    try:
        scanner.document()
    except Exception:  # noqa: BLE001 - a position is a nicety; never let it fail a valid file
        pass
    return scanner.lines


class _Scanner:
    """Follows the structure of valid TOML text, counting lines, without building values."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[Path, int] = {}
        self.defined: set[Path] = set()  # paths whose line is their own definition, not an implied parent's
        self.tables: dict[Path, int] = {}  # array-of-tables path -> tables appended so far

    # -- statements

    def document(self) -> None:
        table: Path = ()
        while True:
            self.skip(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.text.startswith("[[", self.pos):
                table = self.header(array=True)
            elif self.text[self.pos] == "[":
                table = self.header(array=False)
            else:
                self.key_value(table)

    def header(self, array: bool) -> Path:
        line = self.line
        self.advance(2 if array else 1)
        keys = self.keys()
        self.skip(newlines=False)
        self.expect("]]" if array else "]")
        path: Path = ()
        for i, key in enumerate(keys):
            path += (key,)
            last = i == len(keys) - 1
            if last and array:
                index = self.tables.get(path, 0)
                self.tables[path] = index + 1
                self.record(path, line, defined=False)
                path += (index,)
            elif path in self.tables:  # [a.b] under [[a]] belongs to a's latest table
                path += (self.tables[path] - 1,)
            self.record(path, line, defined=last)
        return path

    def key_value(self, table: Path) -> None:
        path = self.dotted_key(table)
        self.skip(newlines=False)
        self.expect("=")
        self.skip(newlines=False)
        self.value(path)

    def dotted_key(self, table: Path) -> Path:
        """Read ``a.b.c`` and record its line for ``table + (a, b, c)`` and the tables it implies."""
        line = self.line
        keys = self.keys()
        for i in range(1, len(keys) + 1):
            self.record(table + tuple(keys[:i]), line, defined=i == len(keys))
        return table + tuple(keys)

    def keys(self) -> list[str]:
        keys = []
        while True:
            self.skip(newlines=False)
            keys.append(self.key())
            self.skip(newlines=False)
            if not self.text.startswith(".", self.pos):
                return keys
            self.advance(1)

    def key(self) -> str:
        if self.text[self.pos] in "\"'":
            start = self.pos
            self.string()
            return tomllib.loads("k = " + self.text[start:self.pos])["k"]  # tomllib decodes the escapes
        match = _BARE_KEY.match(self.text, self.pos)
        if match is None:
            raise ValueError(f"no key at line {self.line}")
        self.advance_to(match.end())
        return match[0]

    # -- values

    def value(self, path: Path) -> None:
        c = self.text[self.pos]
        if c in "\"'":
            self.string()
        elif c == "[":
            self.array(path)
        elif c == "{":
            self.inline_table(path)
        else:
            match = _DATETIME.match(self.text, self.pos) or _ATOM.match(self.text, self.pos)
            if match is None:
                raise ValueError(f"no value at line {self.line}")
            self.advance_to(match.end())

    def array(self, path: Path) -> None:
        self.advance(1)
        index = 0
        while True:
            self.skip(newlines=True)
            if self.text[self.pos] == "]":
                self.advance(1)
                return
            self.record(path + (index,), self.line, defined=True)
            self.value(path + (index,))
            index += 1
            self.skip(newlines=True)
            if self.text[self.pos] == ",":
                self.advance(1)

    def inline_table(self, path: Path) -> None:
        self.advance(1)
        while True:
            self.skip(newlines=True)
            if self.text[self.pos] == "}":
                self.advance(1)
                return
            self.key_value(path)
            self.skip(newlines=True)
            if self.text[self.pos] == ",":
                self.advance(1)

    def string(self) -> None:
        quote = self.text[self.pos]
        triple = quote * 3
        if self.text.startswith(triple, self.pos):
            end = self.closing(self.pos + 3, triple, quote)
            for _ in range(2):  # up to two quotes right before the closing three belong to the string
                if self.text.startswith(quote, end):
                    end += 1
            self.advance_to(end)
        else:
            self.advance_to(self.closing(self.pos + 1, quote, quote))

    def closing(self, start: int, delimiter: str, quote: str) -> int:
        """Index just past ``delimiter`` closing a string whose body starts at ``start``."""
        i = start
        escapes = quote == '"'  # literal strings ('...') have no escapes
        while not self.text.startswith(delimiter, i):
            if i >= len(self.text):
                raise ValueError("unterminated string")
            i += 2 if escapes and self.text[i] == "\\" else 1
        return i + len(delimiter)

    # -- positions

    def record(self, path: Path, line: int, defined: bool) -> None:
        """Keep the first line a path is defined on; a definition outranks an implied parent."""
        if defined and path not in self.defined:
            self.defined.add(path)
            self.lines[path] = line
        elif not defined:
            self.lines.setdefault(path, line)

    def skip(self, newlines: bool) -> None:
        """Skip spaces, tabs and comments (and line ends when ``newlines``)."""
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c in " \t\r":
                self.pos += 1
            elif c == "\n" and newlines:
                self.pos += 1
                self.line += 1
            elif c == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise ValueError(f"expected {token!r} at line {self.line}")
        self.advance(len(token))

    def advance(self, count: int) -> None:
        self.advance_to(self.pos + count)

    def advance_to(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

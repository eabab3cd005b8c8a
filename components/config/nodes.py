"""What a config reader hands the walker: a tree of nodes, each with its kind, value and 1-based line.

The walker (``components.config.walker``) knows nothing of YAML or TOML; a
reader (``yaml_reader``, ``toml_reader``) turns a file into a
:class:`Document` of :class:`Node` s, and the format's scalar typing rules are
expressed in what it puts in a scalar node's ``tag``, ``value`` and ``text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import ConfigError

MAPPING = "mapping"
SEQUENCE = "sequence"
SCALAR = "scalar"

NULL, BOOL, INT, FLOAT, STR = "null", "bool", "int", "float", "str"
"""Scalar tags the walker's type rules look at; a reader may use others (``date``, ``timestamp`` ...)."""


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """One value of a parsed config file and the line it starts on.

    ``value`` is, by ``kind``: for a mapping, a list of (key node, value node)
    pairs in file order (duplicates kept, so the walker can name them); for a
    sequence, a list of item nodes; for a scalar, its typed Python value.
    ``eq=False``: nodes compare by identity, since a YAML alias may make the
    tree a graph (even a cyclic one).
    """

    kind: str
    """``MAPPING``, ``SEQUENCE`` or ``SCALAR``."""
    line: int
    """1-based line where the value starts (for a key: the key's line)."""
    value: Any = field(repr=False)
    tag: str = ""
    """Scalars: ``NULL``, ``BOOL``, ``INT``, ``FLOAT``, ``STR`` or another type the format has."""
    text: str | None = None
    """Scalars: the value as text when the format reads it as text (every YAML scalar, a TOML string);
    a ``str`` field takes it, a ``date``/``time``/money field reads it, and errors show it."""


@dataclass(frozen=True, slots=True)
class Syntax:
    """A format's words for its containers, so an error speaks the language of the file."""

    name: str
    mapping: str
    sequence: str


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed config file: its name, root node, syntax, and the error class its problems raise."""

    source: str
    """How errors name the file (usually its path)."""
    root: Node | None
    """The top-level node; None when the file holds nothing (empty, comments only, a bare null)."""
    syntax: Syntax
    error: type[ConfigError] = ConfigError

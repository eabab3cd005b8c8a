"""YAML text -> config nodes, through ``yaml.compose`` so every value keeps its line.

Scalars keep the YAML typing rules: ``tag`` is the tag the YAML resolver gave
(``int``, ``float``, ``bool``, ``null``, ``str``, ``timestamp`` ...), ``value``
is the constructed value for null/bool/int/float and the text otherwise, and
``text`` is always the scalar's source text, which is what a ``str`` field
takes (so ``ON`` or ``2026`` stay strings), what money is read from (never a
binary float) and what dates and times are parsed from (so an unquoted
``9:30`` is a time, not YAML 1.1's sexagesimal 570).
"""

from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .nodes import BOOL, FLOAT, INT, MAPPING, NULL, SCALAR, SEQUENCE, STR, Document, Node, Syntax
from .schema import DOCUMENT, ConfigError

YAML = Syntax("YAML", "a mapping", "a list")

_CORE = "tag:yaml.org,2002:"
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_CONSTRUCT = {
    NULL: _CONSTRUCTOR.construct_yaml_null,
    BOOL: _CONSTRUCTOR.construct_yaml_bool,
    INT: _CONSTRUCTOR.construct_yaml_int,
    FLOAT: _CONSTRUCTOR.construct_yaml_float,
}


def read_yaml(text: str, source: str, error: type[ConfigError] = ConfigError) -> Document:
    """Compose YAML ``text``; a syntax error is raised as ``error`` at its line, field ``<document>``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise error(source, line, DOCUMENT, f"YAML syntax error: {what}") from None
    if root is None or (isinstance(root, ScalarNode) and root.tag == _CORE + NULL):
        return Document(source, None, YAML, error)
    return Document(source, _Converter().node(root), YAML, error)


class _Converter:
    """YAML nodes to config nodes, one config node per YAML node.

    Aliases make the composed tree a graph (``*a`` is the very node ``&a``
    marks, possibly an ancestor), so nodes are memoized and containers are
    registered before their children are converted: shared values are
    converted once and a cycle ends instead of recursing forever.
    """

    def __init__(self) -> None:
        self.done: dict[int, Node] = {}

    def node(self, raw: yaml.Node) -> Node:
        if id(raw) in self.done:
            return self.done[id(raw)]
        line = raw.start_mark.line + 1
        if isinstance(raw, MappingNode):
            pairs: list[tuple[Node, Node]] = []
            self.done[id(raw)] = node = Node(MAPPING, line, pairs)
            pairs.extend((self.node(k), self.node(v)) for k, v in raw.value)
        elif isinstance(raw, SequenceNode):
            items: list[Node] = []
            self.done[id(raw)] = node = Node(SEQUENCE, line, items)
            items.extend(self.node(item) for item in raw.value)
        else:
            self.done[id(raw)] = node = _scalar(raw, line)
        return node


def _scalar(raw: ScalarNode, line: int) -> Node:
    tag = raw.tag[len(_CORE):] if raw.tag.startswith(_CORE) else raw.tag
    value: object = raw.value
    if tag in _CONSTRUCT:
        try:
            value = _CONSTRUCT[tag](raw)
        except (ValueError, KeyError, TypeError, yaml.YAMLError):
            # An explicit tag the text does not fit (`!!int abc`), or an int of more digits than
            # Python converts: it is text, and a typed field says so with the text.
            tag, value = STR, raw.value
    return Node(SCALAR, line, value, tag, raw.value)

"""Wire format of messages on the live bus: a registered type name plus JSON bytes.

One registry (``WireCodec``) maps each message class to a name and a pair of
functions. Order events travel as their canonical event-store bytes
(``components.eventstore.codec``), so a message body is the very payload the
hash chain covers; commands and execution reports are frozen dataclasses
turned into sorted, compact JSON field by field (enums as their values,
frozensets as sorted lists) and rebuilt from their type hints.

``message_id`` gives each message the stable id the bus de-duplicates on: the
event id for events, the venue's exec id for execution reports that have one,
and otherwise a hash of the type and body, so a retried publish of the same
message always carries the same id. Callers with a better id pass it instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from enum import Enum
from typing import Any, Callable

from components.domain import commands
from components.domain.events import OrderEvent
from components.domain.venues import ExecutionReport
from components.eventstore import codec as event_codec

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode


@dataclasses.dataclass(frozen=True, slots=True)
class WireType:
    name: str
    cls: type
    to_bytes: Callable[[Any], bytes]
    from_bytes: Callable[[bytes], Any]


class UnknownMessageType(KeyError):
    """A message class, or a wire name, that is not registered."""


class WireCodec:
    """Registry of message types: ``encode`` to (name, bytes) and ``decode`` back."""

    def __init__(self) -> None:
        self._by_name: dict[str, WireType] = {}
        self._by_cls: dict[type, WireType] = {}

    def register(self, name: str, cls: type, to_bytes: Callable[[Any], bytes],
                 from_bytes: Callable[[bytes], Any]) -> None:
        if name in self._by_name or cls in self._by_cls:
            raise ValueError(f"{name} / {cls.__name__} is already registered")
        wire = WireType(name, cls, to_bytes, from_bytes)
        self._by_name[name], self._by_cls[cls] = wire, wire

    def register_dataclass(self, cls: type, name: str | None = None) -> None:
        """Register a dataclass whose fields are JSON values, enums, frozensets or tuples."""
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]

        def to_bytes(message: Any) -> bytes:
            return _dumps({n: _plain(getattr(message, n)) for n in names}).encode("ascii")

        def from_bytes(data: bytes) -> Any:
            record = json.loads(data)
            return cls(**{n: _typed(hints[n], record[n]) for n in names if n in record})

        self.register(name or cls.__name__, cls, to_bytes, from_bytes)

    def encode(self, message: object) -> tuple[str, bytes]:
        wire = self._by_cls.get(type(message))
        if wire is None:
            raise UnknownMessageType(f"no wire type registered for {type(message).__name__}")
        return wire.name, wire.to_bytes(message)

    def decode(self, name: str, data: bytes) -> object:
        wire = self._by_name.get(name)
        if wire is None:
            raise UnknownMessageType(f"unknown wire type {name!r}")
        return wire.from_bytes(data)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)


def message_id(message: object, name: str, data: bytes) -> str:
    """The id the bus de-duplicates ``message`` on (see the module docstring)."""
    if isinstance(message, OrderEvent):
        return message.event_id
    if isinstance(message, ExecutionReport) and message.exec_id:
        return f"ER:{message.venue}:{message.exec_id}"
    return f"{name}:{hashlib.sha256(data).hexdigest()[:32]}"


def default_codec() -> WireCodec:
    """Every message type the platform puts on the bus."""
    codec = WireCodec()
    codec.register("OrderEvent", OrderEvent, event_codec.encode, event_codec.decode)
    codec.register_dataclass(ExecutionReport)
    for cls in (commands.SubmitOrder, commands.SubmitBlock, commands.ValidateOrder, commands.CheckRisk,
                commands.RouteOrder, commands.CancelOrder, commands.ProcessPostTrade, commands.ExpireDay,
                commands.SetTradingState):
        codec.register_dataclass(cls)
    return codec


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)  # sorted: the same set is the same bytes
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _typed(hint: Any, value: Any) -> Any:
    """``value`` (from JSON) as the type ``hint`` asks for."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _typed(options[0], value) if len(options) == 1 else value
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    args = typing.get_args(hint)
    if origin in (frozenset, set):
        return origin(_typed(args[0] if args else Any, v) for v in value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(args[0], v) for v in value)
        return tuple(_typed(a, v) for a, v in zip(args, value, strict=True)) if args else tuple(value)
    return value

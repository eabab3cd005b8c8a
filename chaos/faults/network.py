"""Bus faults: messages between services lost, duplicated or reordered for a window.

The twin's bus is at-least-once (``twin.services``: the link-condition API of ``Network``), so:

* ``message_loss``: a transmission is lost with ``probability``; the bus redelivers it after
  ``redelivery_ms``. Loss is a delay, and the redelivered message arrives out of order.
* ``message_duplication``: a message arrives and its acknowledgement is lost with
  ``probability``, so it is delivered again ``redelivery_ms`` later. Consumers must dedupe.
* ``message_reorder``: a message is held back up to ``max_delay_ms`` with ``probability``, so
  messages sent after it on the same link can overtake it.

Each applies to the link ``src -> dst`` (service names, or ``advisor``/``operator`` for the
senders outside the platform); ``*`` matches every link, so the default is the whole bus. What
the platform must guarantee: no event lost or duplicated, every order terminal, fills consistent
(the invariants of ``twin.invariants``), whatever the bus does within its at-least-once contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import Fault, FaultWorld, WorldShape, check_probability, check_window, draw_window, register, \
    schedule_window

ANY = "*"
"""A link end matching every service."""


@dataclass(frozen=True, slots=True)
class LinkImpairment:
    """What a bus fault asks of the links it covers (``twin.services.LinkCondition``)."""

    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    reorder_ms: float = 5.0
    redelivery_ms: float = 200.0


class NetworkMechanism(Protocol):
    """How a world impairs its bus (``twin.fault_target.TwinNetwork``)."""

    def impair_link(self, src: str, dst: str, impairment: LinkImpairment) -> object:
        """Put the links ``src -> dst`` (``*`` for any) under ``impairment`` now; a token for ``heal_link``."""
        ...

    def heal_link(self, token: object) -> None:
        """Lift what ``impair_link`` set."""
        ...


class LinkFault(Fault):
    """A windowed fault on the links ``src -> dst``."""

    family: ClassVar[str] = "network"
    at_ns: int
    duration_ns: int
    probability: float
    src: str
    dst: str

    def impairment(self) -> LinkImpairment:
        """What the links are put under."""
        raise NotImplementedError

    def _validate(self) -> None:
        check_window(self.duration_ns)
        check_probability("probability", self.probability)
        for name in ("src", "dst"):
            if not getattr(self, name):
                raise ValueError(f"{name}: must be a service name or '*'")

    def schedule(self, world: FaultWorld) -> None:
        mechanism = world.mechanism(NetworkMechanism)
        impairment = self.impairment()
        schedule_window(world, self.at_ns, self.duration_ns,
                        lambda: mechanism.impair_link(self.src, self.dst, impairment), mechanism.heal_link)

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "LinkFault":
        at, duration = draw_window(rng, shape, max_s=600.0)
        src = dst = ANY
        if shape.services and rng.random() < 0.5:  # half the draws hit one link into one service
            dst = shape.services[int(rng.integers(len(shape.services)))]
        return cls(at, duration, float(rng.uniform(0.01, 0.3)), src, dst)  # type: ignore[call-arg]


def _check_ms(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name}: must be > 0, got {value!r}")


@register
@dataclass(frozen=True, slots=True)
class MessageLoss(LinkFault):
    """Transmissions on the links are lost with ``probability`` and redelivered ``redelivery_ms`` later."""

    kind: ClassVar[str] = "message_loss"

    at_ns: int
    """Start of the window, simulated epoch ns."""
    duration_ns: int
    """Length of the window, ns."""
    probability: float = 0.05
    """Chance each transmission is lost, 0..1."""
    src: str = ANY
    """Sending service, or ``*``."""
    dst: str = ANY
    """Receiving service, or ``*``."""
    redelivery_ms: float = 200.0
    """The bus's redelivery timeout, ms (> 0)."""

    def __post_init__(self) -> None:
        self._validate()
        _check_ms("redelivery_ms", self.redelivery_ms)

    def impairment(self) -> LinkImpairment:
        return LinkImpairment(loss=self.probability, redelivery_ms=self.redelivery_ms)


@register
@dataclass(frozen=True, slots=True)
class MessageDuplication(LinkFault):
    """Messages on the links are delivered twice (the ack lost) with ``probability``."""

    kind: ClassVar[str] = "message_duplication"

    at_ns: int
    duration_ns: int
    probability: float = 0.05
    """Chance each message is delivered a second time, 0..1."""
    src: str = ANY
    dst: str = ANY
    redelivery_ms: float = 200.0
    """When the second copy comes, ms after the first (> 0)."""

    def __post_init__(self) -> None:
        self._validate()
        _check_ms("redelivery_ms", self.redelivery_ms)

    def impairment(self) -> LinkImpairment:
        return LinkImpairment(duplicate=self.probability, redelivery_ms=self.redelivery_ms)


@register
@dataclass(frozen=True, slots=True)
class MessageReorder(LinkFault):
    """Messages on the links are held back up to ``max_delay_ms`` with ``probability``, past later ones."""

    kind: ClassVar[str] = "message_reorder"

    at_ns: int
    duration_ns: int
    probability: float = 0.05
    """Chance each message is held back, 0..1."""
    src: str = ANY
    dst: str = ANY
    max_delay_ms: float = 5.0
    """The most a message is held back, ms (> 0)."""

    def __post_init__(self) -> None:
        self._validate()
        _check_ms("max_delay_ms", self.max_delay_ms)

    def impairment(self) -> LinkImpairment:
        return LinkImpairment(reorder=self.probability, reorder_ms=self.max_delay_ms)

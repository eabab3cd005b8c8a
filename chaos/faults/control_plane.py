"""Control-plane faults: the service that distributes configuration goes away for a while.

Feature flags, risk-policy updates (the restricted list) and model promotions reach the data
plane through a control plane (``twin.control_plane``). The promise under test: while the
control plane is down the data plane keeps its *last good configuration* and trades on it;
writes made meanwhile are held and reach the data plane when the control plane is back. A
control-plane outage never blocks or slows healthy order flow (``tests/e2e/test_control_plane_bulkheads.py``
asserts order-path p99 within 5% of the fault-free run with the same seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

from .catalogue import NS, Fault, FaultWorld, WorldShape, check_window, draw_window, register, fault_time


class ControlPlane(Protocol):
    """What a world's control plane offers to faults (the twin's: ``twin.control_plane``)."""

    def outage(self) -> None:
        """The control plane goes down: nothing is distributed, operators' writes are held."""
        ...

    def restore(self) -> None:
        """It is back: held writes are applied in order and every data-plane copy is resynced."""
        ...


@register
@dataclass(frozen=True, slots=True)
class ControlPlaneOutage(Fault):
    """The control plane is unreachable from ``at_ns`` for ``duration_ns`` (simulated epoch ns), then recovers.

    In the twin: configuration changes published meanwhile are held; the data plane (the risk
    service's policy copy, the analytics service's model) keeps the last version it validated;
    orders keep flowing on it."""

    kind: ClassVar[str] = "control_plane_outage"
    family: ClassVar[str] = "control_plane"

    at_ns: int
    """When the control plane goes down, simulated epoch ns."""
    duration_ns: int
    """How long it stays down, ns (> 0)."""

    def __post_init__(self) -> None:
        check_window(self.duration_ns)

    def schedule(self, world: FaultWorld) -> None:
        plane = world.mechanism(ControlPlane)
        world.schedule_at(self.at_ns, plane.outage)
        world.schedule_at(self.at_ns + self.duration_ns, plane.restore)

    @classmethod
    def draw(cls, rng: np.random.Generator, shape: WorldShape) -> "ControlPlaneOutage":
        return cls(*draw_window(rng, shape, max_s=1800.0))

    def describe(self) -> str:
        return f"{self.kind}: control plane down for {self.duration_ns / NS:g} s from {fault_time(self.at_ns)}"

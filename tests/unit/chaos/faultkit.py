"""A recording ``FaultWorld`` for the fault-catalogue tests: no twin, just what a fault books."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from chaos.faults import WorldShape

NS = 1_000_000_000
OPEN_NS = 1_795_530_600 * NS  # 2026-11-24 09:30 New York
SHAPE = WorldShape(OPEN_NS, OPEN_NS + 3600 * NS, ("gateway", "oms", "risk", "router", "post_trade"),
                   ("XNAS", "BATS"))


@dataclass
class Recorder:
    """A mechanism for any family: every call is recorded as (name, args), returning a token."""

    calls: list[tuple[str, tuple]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def call(*args: Any) -> Any:
            self.calls.append((name, args))
            return f"token-{len(self.calls)}"

        return call


@dataclass
class FakeWorld:
    """Books actions by time; ``run()`` fires them in time order (ties in booking order)."""

    mechanisms: dict[type, Any] = field(default_factory=dict)
    booked: list[tuple[int, int, Callable[[], None]]] = field(default_factory=list)

    def schedule_at(self, t_ns: int, action: Callable[[], None]) -> None:
        self.booked.append((t_ns, len(self.booked), action))

    def mechanism(self, port: type) -> Any:
        if port not in self.mechanisms:
            self.mechanisms[port] = Recorder()
        return self.mechanisms[port]

    def run(self) -> list[int]:
        """Fire every booked action in order; returns the times fired."""
        times = []
        for t_ns, _, action in sorted(self.booked, key=lambda b: (b[0], b[1])):
            times.append(t_ns)
            action()
        return times

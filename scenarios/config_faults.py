"""Operational events of the scenario schema: ``crashes`` (hosted services that
die mid-day), ``trading_state`` (an operator flipping the kill switch) and
``faults`` (any fault of the catalogue, ``chaos.faults``).

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports it). Default: none. A crashed service loses its components'
memory and rebuilds it from the last snapshot plus the event log
(``twin.crashes.Recovery``); ``snapshot_every`` is how often snapshots are taken.
The ``crashes`` plan is sugar for ``service_crash`` faults.

A ``faults`` entry (``FaultSpec``) is flat: a ``kind`` (a key of
``chaos.faults.KINDS``), when (``at`` plus ``offset_s``), for how long
(``duration_s``, for the kinds that heal) and the union of every kind's
parameters, each given only for the kinds that have it. It maps onto the
fault class by name: the class's fields other than ``at_ns``/``duration_ns``
are the parameters a file may give (docs/faults.md lists them per kind).
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from datetime import time
from typing import Annotated, Any, Iterator

from chaos.faults import KINDS, Fault
from components.config.schema import Pattern, Range
from components.config.session import Session

NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Crash:
    """One crash of a hosted service (see ``twin.crashes``)."""

    service: Annotated[str, Pattern(r"gateway|oms|risk|router|post_trade",
                                    "one of gateway, oms, risk, router, post_trade")]  # fmt: skip
    """The service that crashes (required)."""
    at: time
    """When, "HH:MM" New York time on the session date (required)."""
    restart_ms: Annotated[float, Range(gt=0.0, le=600_000.0)] = 500.0
    """How long it is down before it restarts, ms. Default 500."""


@dataclass(frozen=True, slots=True)
class Crashes:
    """The crash plan and how its recovery snapshots (see ``twin.crashes``)."""

    snapshot_every: Annotated[int, Range(ge=1, le=1_000_000)] = 500
    """Events between two snapshots of every crashable component (taken between messages). Default 500."""
    plan: tuple[Crash, ...] = ()
    """The crashes, in any order. Default none."""


@dataclass(frozen=True, slots=True)
class TradingStateChange:
    """An operator flips the kill switch (the platform's ``SetTradingState``, recorded as a
    ``TradingStateChanged`` event; the risk engine's ``trading_state`` policy applies it)."""

    at: time
    """When, "HH:MM" New York time on the session date (required)."""
    state: Annotated[str, Pattern(r"ACTIVE|REDUCING|HALTED", "one of ACTIVE, REDUCING, HALTED")]
    """ACTIVE (normal), REDUCING (only orders that reduce a position) or HALTED (no new orders) (required)."""
    reason: str = ""
    """Why, as the operator would record it. Default empty."""
    operator: str = "operator"
    """Who flipped it (the event's actor is ``operator:NAME``). Default "operator"."""


_SERVICE = Annotated[str, Pattern(r"gateway|oms|risk|router|post_trade",
                                  "one of gateway, oms, risk, router, post_trade")]  # fmt: skip
_LINK_END = Annotated[str, Pattern(r"\*|[a-z_]{1,32}", "a service name (gateway, oms, ...) or '*' for any")]
_PROBABILITY = Annotated[float, Range(ge=0.0, le=1.0)]
_MS = Annotated[float, Range(gt=0.0, le=3_600_000.0)]

PARAMETERS = ("service", "venue", "src", "dst", "probability", "extra_ms", "fraction", "stored", "restart_ms",
              "position", "flips", "redelivery_ms", "max_delay_ms",
              "region", "peer", "one_way", "drift_ppm", "jump_ms",  # these five: docs/regions.md
              "factor")
"""Every kind's parameters a scenario file may give (``FaultSpec`` fields of the same names)."""
_TIMING = {"at_ns": "at", "duration_ns": "duration_s"}  # fault field -> the spec field a file gives


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault of the catalogue as a scenario file writes it (see docs/faults.md).

    ``kind`` and ``at`` are required; ``duration_s`` is required for the kinds that heal and
    refused for the others; every other field is a parameter, refused for a kind that does not
    have it, defaulted by the fault class when left out."""

    kind: Annotated[str, Pattern(r"[a-z][a-z_]{0,63}", "a fault kind like venue_down (docs/faults.md)")]
    """The fault (required): a kind of ``chaos.faults.KINDS``, e.g. venue_down, message_loss."""
    at: time
    """When it starts, "HH:MM" New York time on the session date (required)."""
    offset_s: Annotated[float, Range(ge=0.0, le=86_400.0)] = 0.0
    """Seconds after ``at`` (for a fault between two minutes). Default 0."""
    duration_s: Annotated[float, Range(gt=0.0, le=86_400.0)] | None = None
    """How long it lasts, seconds (required for the kinds that heal)."""
    service: _SERVICE | None = None
    """service_crash*: the service that dies."""
    venue: Annotated[str, Pattern(r"[A-Z][A-Z0-9_]{0,15}", "an upper-case venue code like 'XNAS'")] | None = None
    """venue_*: the venue (one of the scenario's)."""
    src: _LINK_END | None = None
    """message_*: the sending service, or '*' (default) for any."""
    dst: _LINK_END | None = None
    """message_*: the receiving service, or '*' (default) for any."""
    probability: _PROBABILITY | None = None
    """message_*: the chance each message is hit, 0..1."""
    extra_ms: Annotated[float, Range(ge=0.0, le=600_000.0)] | None = None
    """venue_slow: extra one-way latency, ms."""
    fraction: _PROBABILITY | None = None
    """venue_reject_storm: the share of new child orders rejected, 0..1."""
    stored: Annotated[int, Range(ge=1, le=1_000)] | None = None
    """service_crash_mid_append: events of the handler stored before it dies."""
    restart_ms: Annotated[float, Range(gt=0.0, le=600_000.0)] | None = None
    """service_crash*: how long the service is down, ms."""
    position: _PROBABILITY | None = None
    """stored_event_corruption: which event, by its place in the log then (0 first .. 1 last)."""
    flips: Annotated[int, Range(ge=1, le=64)] | None = None
    """stored_event_corruption: how many bytes change."""
    redelivery_ms: _MS | None = None
    """message_loss, message_duplication: the bus's redelivery timeout, ms."""
    max_delay_ms: _MS | None = None
    """message_reorder: the most a message is held back, ms."""
    region: Annotated[str, Pattern(r"[a-z][a-z0-9_-]{0,31}", "a region name of the scenario's regions")] | None = None
    """region_kill, region_partition, clock_drift, clock_jump: the region (docs/regions.md)."""
    peer: Annotated[str, Pattern(r"[a-z][a-z0-9_-]{0,31}", "a region name of the scenario's regions")] | None = None
    """region_partition: the region on the other side of the cut."""
    one_way: bool | None = None
    """region_partition: block only region -> peer. Default false (both ways)."""
    drift_ppm: Annotated[int, Range(ge=-100_000, le=100_000)] | None = None
    """clock_drift: how fast the region's clock runs, parts per million (negative: slow)."""
    jump_ms: Annotated[float, Range(ge=-60_000.0, le=60_000.0)] | None = None
    """clock_jump: the step of the region's clock, ms (negative: backwards)."""
    factor: Annotated[float, Range(ge=1.0, le=10_000.0)] | None = None
    """analytics_slow: how many times longer analytics calls take."""

    def fault_class(self) -> type[Fault] | None:
        """The registered class of ``kind``, or None if unknown."""
        return KINDS.get(self.kind)

    def start_ns(self, session: Session) -> int:
        """When it starts on ``session``'s date: ``at`` plus ``offset_s``, epoch ns."""
        return session.at_ns(self.at) + int(round(self.offset_s * NS))

    def to_fault(self, session: Session) -> Fault:
        """The fault this entry describes, on ``session``'s date."""
        cls = KINDS[self.kind]
        return cls(**self._arguments(cls, self.start_ns(session)))

    def _arguments(self, cls: type[Fault], start_ns: int) -> dict[str, Any]:
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        args: dict[str, Any] = {"at_ns": start_ns}
        if "duration_ns" in names and self.duration_s is not None:
            args["duration_ns"] = int(round(self.duration_s * NS))
        for name in PARAMETERS:
            value = getattr(self, name)
            if value is not None and name in names:
                args[name] = value
        return args

    def _problems(self) -> Iterator[tuple[str, str]]:
        cls = self.fault_class()
        if cls is None:
            yield "kind", f"unknown fault kind {self.kind!r} (known: {', '.join(sorted(KINDS))})"
            return
        own = {f.name: f for f in fields(cls)}  # type: ignore[arg-type]
        accepted = [name for name in PARAMETERS if name in own]
        for name in PARAMETERS:
            if getattr(self, name) is not None and name not in own:
                yield name, f"not a parameter of {self.kind} (its parameters: {', '.join(accepted) or 'none'})"
        if "duration_ns" in own and self.duration_s is None:
            yield "duration_s", f"is required for {self.kind}"
        if "duration_ns" not in own and self.duration_s is not None:
            yield "duration_s", f"not a parameter of {self.kind} (it does not heal)"
        for name, f in own.items():
            required = f.default is MISSING and f.default_factory is MISSING
            if required and name not in _TIMING and getattr(self, name, None) is None:
                yield name, f"is required for {self.kind}"
        try:
            cls(**self._arguments(cls, 0))
        except (TypeError, ValueError) as exc:  # the class's own check: "FIELD: problem"
            name, _, problem = str(exc).partition(": ")
            yield (_TIMING.get(name, name), problem) if problem else ("kind", str(exc))

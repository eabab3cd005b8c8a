"""The twin as a ``chaos.faults.FaultWorld``: a clock to schedule faults on and one mechanism per family.

``fault_world(world)`` is the world's one ``TwinFaultTarget`` (made on first use and kept on
``world.fault_target``). ``schedule_at`` books on the ``SimClock``; ``mechanism(port)`` returns
the world's implementation of a family's mechanism Protocol, built on first use from
``MECHANISMS`` (port -> factory taking the world). A family adds its mechanism there::

    MECHANISMS[ControlPlane] = control_plane_of

The mechanisms of this module's families:

* services (``ServiceMechanism``): ``twin.crashes.ServiceCrasher`` (crash recovery included);
* venues (``VenueMechanism``): ``twin.venue_stress.VenueStresser``;
* network (``NetworkMechanism``): ``TwinNetwork`` below, on ``twin.services.Network``'s link conditions;
* storage (``StorageMechanism``): ``twin.stored_log.StoredLog`` (and crash recovery then replays
  through it, so a recovery never reads a corrupted event silently).

``schedule_faults(world)`` books a scenario's ``crashes`` (sugar for ``service_crash``) and its
``faults`` list; the runner calls it once, where it used to book the crashes alone.
``schedule_venue_stress(world)`` books its venues' ``stress`` entries (sugar for the venue faults);
the bootstrap calls it, where it always did.
``shape_of(world)`` is the ``WorldShape`` the swarm draws faults for. ``fault_evidence(world)``
is what the invariant checks read about the faults (``RunEvidence.extra``).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from chaos.faults import Fault, WorldShape
from chaos.faults.analytics import Analytics
from chaos.faults.control_plane import ControlPlane
from chaos.faults.network import LinkImpairment, NetworkMechanism
from chaos.faults.services import ServiceMechanism
from chaos.faults.storage import StorageMechanism
from chaos.faults.venues import VenueMechanism

from .analytics_service import analytics_of
from .control_plane import control_plane_of
from .crashes import HOSTED, ServiceCrasher, crash_faults
from .services import LinkCondition, LinkToken, Network
from .stored_log import StoredLog
from .venue_stress import StressWindow, VenueStresser, stress_faults
from .world import TwinWorld

T = TypeVar("T")


class TwinNetwork:
    """``NetworkMechanism`` on the twin's bus: a bus fault is one link condition for its window."""

    def __init__(self, network: Network):
        self.network = network

    def impair_link(self, src: str, dst: str, impairment: LinkImpairment) -> LinkToken:
        condition = LinkCondition(loss=impairment.loss, duplicate=impairment.duplicate, reorder=impairment.reorder,
                                  reorder_ms=impairment.reorder_ms, redelivery_ms=impairment.redelivery_ms)
        return self.network.set_link_condition(src, dst, condition)

    def heal_link(self, token: object) -> None:
        assert isinstance(token, LinkToken)
        self.network.clear_link_condition(token)


def _stored_log(world: TwinWorld) -> StoredLog:
    stored = StoredLog(world.log, world.streams)
    if world.recovery is not None:  # crash recovery from now on replays through the checked copy
        world.recovery.replay_log = stored  # type: ignore[attr-defined]
    return stored


def _crasher(world: TwinWorld) -> ServiceCrasher:
    target = fault_world(world)
    crasher = ServiceCrasher(world)
    stored = target.built(StorageMechanism)
    if stored is not None:
        crasher.recovery.replay_log = stored
    return crasher


MECHANISMS: dict[type, Callable[[TwinWorld], Any]] = {
    ServiceMechanism: _crasher,
    VenueMechanism: VenueStresser,
    NetworkMechanism: lambda world: TwinNetwork(world.network),
    StorageMechanism: _stored_log,
    ControlPlane: control_plane_of,
    Analytics: analytics_of,
}
"""Each mechanism Protocol the twin implements -> the factory that builds it for a world."""


class TwinFaultTarget:
    """A ``FaultWorld`` over one ``TwinWorld``."""

    def __init__(self, world: TwinWorld):
        self.world = world
        self._built: dict[type, Any] = {}
        self.scheduled: list[Fault] = []
        """Faults booked through ``schedule``, in order (for reports and the swarm summary)."""

    def schedule_at(self, t_ns: int, action: Callable[[], None]) -> None:
        self.world.clock.call_at(t_ns, action)

    def mechanism(self, port: type[T]) -> T:
        built = self._built.get(port)
        if built is None:
            factory = MECHANISMS.get(port)
            if factory is None:
                raise LookupError(f"the twin has no mechanism for {port.__qualname__}")
            built = self._built[port] = factory(self.world)
        return built

    def built(self, port: type[T]) -> T | None:
        """The mechanism for ``port`` if a fault already asked for it, else None."""
        return self._built.get(port)

    def schedule(self, fault: Fault) -> None:
        """Book ``fault`` on this world and note it."""
        fault.schedule(self)
        self.scheduled.append(fault)


def fault_world(world: TwinWorld) -> TwinFaultTarget:
    """The world's fault target (made on first use)."""
    target = getattr(world, "fault_target", None)
    if target is None:
        target = TwinFaultTarget(world)
        world.fault_target = target
    return target


def scenario_faults(world: TwinWorld) -> list[Fault]:
    """The scenario's faults: its ``crashes`` plan (as ``service_crash``) then its ``faults`` list."""
    scenario = world.scenario
    faults: list[Fault] = list(crash_faults(scenario))
    faults.extend(spec.to_fault(scenario.session) for spec in scenario.faults)
    return faults


def schedule_faults(world: TwinWorld) -> None:
    """Book the scenario's crashes and faults on the world (nothing when it has none: the run is unchanged)."""
    faults = scenario_faults(world)
    if not faults:
        return
    target = fault_world(world)
    if world.scenario.crashes.plan:
        target.mechanism(ServiceMechanism)  # recovery snapshots from the start, as it always did
    for fault in faults:
        target.schedule(fault)


def schedule_venue_stress(world: TwinWorld) -> list[StressWindow]:
    """Book every window of the scenario's venue ``stress`` entries as a venue fault (the bootstrap
    calls it while building the world); returns the windows, for reports."""
    pairs = stress_faults(world)
    if pairs:
        target = fault_world(world)
        for _, fault in pairs:
            target.schedule(fault)
    return [window for window, _ in pairs]


def shape_of(world: TwinWorld) -> WorldShape:
    """What the swarm needs to draw faults that fit ``world``."""
    session = world.scenario.session
    services = tuple(name for name in HOSTED if name in world.network.services)
    regions = tuple(getattr(world, "regions", None) or ())
    return WorldShape(session.open_ns(), session.close_ns(), services, tuple(world.venues), regions)


def fault_evidence(world: TwinWorld) -> dict[str, Any]:
    """What the invariant checks read about the faults of the run (``RunEvidence.extra``); empty
    without faults. ``storage``: the ``StorageReport`` after the end-of-run audit of the stored copy."""
    target = getattr(world, "fault_target", None)
    if target is None:
        return {}
    extra: dict[str, Any] = {}
    stored = target.built(StorageMechanism)
    if stored is not None:
        stored.audit()
        extra["storage"] = stored.report()
    return extra

"""The twin's control plane: configuration reaches the data plane through it, never the other way.

Feature flags, risk-policy updates (the risk engine's restricted list) and model promotions are
*published* to the control plane (``ConfigChange``), which folds them into a new numbered
``ConfigVersion`` and pushes that version to every data-plane copy (``DataPlaneCopy``: one at the
risk service, one at the analytics service when there is one) over its own link. A copy validates
a version before applying it and keeps its *last good* version otherwise; a version older than the
one it holds (a late or repeated push) is ignored.

Nothing on the order path ever asks the control plane anything: the risk service reads its local
copy, so a control-plane outage (``chaos.faults.control_plane.ControlPlaneOutage``) cannot block
or slow order flow. While down, the control plane distributes nothing and holds the writes made to
it (as an operator's tooling would retry them); on restore they are applied in order and every
copy is resynced. Staleness (how long a requested change took to reach every copy) is measured.

Default worlds have no control plane: it is installed only when a run asks for one (``install``)
or a control-plane fault needs one (``control_plane_of``), so their event logs and fingerprints do
not change. Its pushes draw from their own stream (``net:control_plane``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Callable, Iterable, Mapping

from .draws import hop_ms
from .world import TwinWorld

MS = 1_000_000


class Setting(str, Enum):
    """What a configuration change sets."""

    RESTRICTED = "restricted"
    """The risk engine's restricted list (``value``: comma-separated symbols, may be empty)."""
    FLAG = "flag"
    """A feature flag (``name``; ``value``: ``on`` or ``off``)."""
    MODEL = "model"
    """A model promotion (``name``: the model; ``value``: the version promoted)."""


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """One write to the control plane, requested at ``at_ns`` (epoch ns)."""

    at_ns: int
    setting: Setting
    name: str = ""
    value: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str, at_ns: Callable[[str], int]) -> "ConfigChange":
        """Parse ``{at: "HH:MM", setting, name, value}``; ``at_ns`` turns "HH:MM" into epoch ns.
        A bad entry raises a one-line ``ValueError`` naming ``where`` and the field."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"{where}: expected a mapping {{at, setting, name, value}}, got {type(raw).__name__}")
        unknown = sorted(set(raw) - {"at", "setting", "name", "value"})
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r}")
        try:
            setting = Setting(raw.get("setting"))
        except ValueError:
            raise ValueError(f"{where}.setting: must be one of restricted, flag, model, "
                             f"got {raw.get('setting')!r}") from None
        name, value = str(raw.get("name", "")), str(raw.get("value", ""))
        if setting is not Setting.RESTRICTED and not name:
            raise ValueError(f"{where}.name: required for a {setting.value} change")
        if setting is Setting.FLAG and value not in ("on", "off"):
            raise ValueError(f"{where}.value: a flag is 'on' or 'off', got {value!r}")
        if "at" not in raw:
            raise ValueError(f"{where}.at: required (\"HH:MM\" New York time)")
        try:
            when = at_ns(str(raw["at"]))
        except ValueError as exc:
            raise ValueError(f"{where}.at: {exc}") from None
        return cls(when, setting, name, value)


@dataclass(frozen=True, slots=True)
class ConfigVersion:
    """The whole configuration at one version: what a data-plane copy validates and applies."""

    version: int
    restricted: frozenset[str]
    flags: tuple[tuple[str, bool], ...] = ()
    models: tuple[tuple[str, str], ...] = ()

    def with_change(self, change: ConfigChange) -> "ConfigVersion":
        """The next version: this one with ``change`` applied."""
        nxt = self.version + 1
        if change.setting is Setting.RESTRICTED:
            symbols = frozenset(s.strip() for s in change.value.split(",") if s.strip())
            return replace(self, version=nxt, restricted=symbols)
        if change.setting is Setting.FLAG:
            flags = dict(self.flags) | {change.name: change.value == "on"}
            return replace(self, version=nxt, flags=tuple(sorted(flags.items())))
        models = dict(self.models) | {change.name: change.value}
        return replace(self, version=nxt, models=tuple(sorted(models.items())))

    def flag(self, name: str, default: bool = True) -> bool:
        return dict(self.flags).get(name, default)

    def model(self, name: str, default: str) -> str:
        return dict(self.models).get(name, default)


@dataclass(frozen=True, slots=True)
class ControlEvent:
    """One line of the control plane's timeline (reports and game-day timelines read these)."""

    t_ns: int
    what: str
    """outage, restore, published, held, applied, refused."""
    detail: str = ""


class DataPlaneCopy:
    """The configuration one data-plane service runs on: the last version it validated.

    ``validate(version)`` returns a problem (a string) or None; ``apply(version)`` installs it.
    """

    def __init__(self, name: str, initial: ConfigVersion, validate: Callable[[ConfigVersion], str | None],
                 apply: Callable[[ConfigVersion], None]):
        self.name = name
        self.current = initial
        self._validate = validate
        self._apply = apply
        self.refused: list[tuple[int, str]] = []
        """(version, problem) of every version refused."""

    def offer(self, version: ConfigVersion) -> str | None:
        """Apply ``version`` if it is newer and valid; the problem when refused, None otherwise."""
        if version.version <= self.current.version:
            return None  # a late or repeated push: we already run something at least as new
        problem = self._validate(version)
        if problem is not None:
            self.refused.append((version.version, problem))
            return problem
        self._apply(version)
        self.current = version
        return None


@dataclass
class _Request:
    """A requested change, with when it was asked for and which version it became (0: not yet)."""

    change: ConfigChange
    version: int = 0
    reached_all_ns: int | None = None


@dataclass
class TwinControlPlane:
    """The control plane of one twin world (see the module docstring)."""

    world: TwinWorld
    propagation_ms: float = 20.0
    jitter_ms: float = 5.0
    up: bool = True
    desired: ConfigVersion = field(init=False)
    copies: dict[str, DataPlaneCopy] = field(default_factory=dict)
    timeline: list[ControlEvent] = field(default_factory=list)
    outages: list[tuple[int, int | None]] = field(default_factory=list)
    """(down at, restored at or None) per outage, epoch ns."""
    _held: list[_Request] = field(default_factory=list)
    _requests: list[_Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        risk = self.world.platform.risk
        self.desired = ConfigVersion(0, risk.restricted)
        self._delay = hop_ms(self.world.streams.stream("net:control_plane"), self.propagation_ms, self.jitter_ms).next
        symbols = frozenset(s.symbol for s in self.world.scenario.symbols)

        def valid_restricted(version: ConfigVersion) -> str | None:
            unknown = sorted(version.restricted - symbols)
            return f"restricted: unknown symbol {unknown[0]!r}" if unknown else None

        self.attach(DataPlaneCopy("risk", self.desired, valid_restricted,
                                  lambda v: risk.set_restricted(v.restricted)))  # fmt: skip
        if self.world.analytics is not None:  # installed first: it keeps a copy too
            self.world.analytics.attach_to(self)

    def attach(self, copy: DataPlaneCopy) -> None:
        """Add a data-plane copy; it is brought up to the current version at once."""
        self.copies[copy.name] = copy
        if self.desired.version > copy.current.version:
            copy.offer(self.desired)

    # -- writes -----------------------------------------------------------------------------------
    def publish(self, change: ConfigChange) -> None:
        """An operator's write, now: distributed at once when up, held when down."""
        request = _Request(change)
        self._requests.append(request)
        if not self.up:
            self._held.append(request)
            self._note("held", self._label(change))
            return
        self._accept(request)
        self._push()

    def _accept(self, request: _Request) -> None:
        self.desired = self.desired.with_change(request.change)
        request.version = self.desired.version
        self._note("published", f"v{self.desired.version} {self._label(request.change)}")

    def _push(self) -> None:
        """Send the desired version to every copy, each over its own delay."""
        clock, version = self.world.clock, self.desired
        for copy in self.copies.values():
            clock.call_later(self._delay(), lambda copy=copy: self._deliver(copy, version))

    def _deliver(self, copy: DataPlaneCopy, version: ConfigVersion) -> None:
        before = copy.current.version
        problem = copy.offer(version)
        if problem is not None:
            self._note("refused", f"{copy.name} keeps v{copy.current.version}: v{version.version} {problem}")
        elif copy.current.version != before:
            self._note("applied", f"{copy.name} v{version.version}")
            self._settle()

    def _settle(self) -> None:
        """Mark the requests every copy has now reached (a refused version counts as reached: it was
        offered and judged; the copy runs the last good one)."""
        now = self.world.clock.now_ns()
        reached = min((max(c.current.version, max((v for v, _ in c.refused), default=0))
                       for c in self.copies.values()), default=0)
        for request in self._requests:
            if request.reached_all_ns is None and 0 < request.version <= reached:
                request.reached_all_ns = now

    # -- the mechanism faults use (chaos.faults.control_plane.ControlPlane) -----------------------
    def outage(self) -> None:
        if not self.up:
            return
        self.up = False
        self.outages.append((self.world.clock.now_ns(), None))
        self._note("outage")

    def restore(self) -> None:
        if self.up:
            return
        self.up = True
        start, _ = self.outages[-1]
        self.outages[-1] = (start, self.world.clock.now_ns())
        self._note("restore", f"{len(self._held)} held write(s) applied")
        held, self._held = self._held, []
        for request in held:
            self._accept(request)
        self._push()  # a resync even with nothing held: a copy may have missed a push

    # -- reporting --------------------------------------------------------------------------------
    def _note(self, what: str, detail: str = "") -> None:
        self.timeline.append(ControlEvent(self.world.clock.now_ns(), what, detail))

    @staticmethod
    def _label(change: ConfigChange) -> str:
        name = f" {change.name}" if change.name else ""
        return f"{change.setting.value}{name}={change.value!r}"

    def summary(self) -> dict[str, Any]:
        """What happened, for a run's chaos.json: versions, held writes, staleness, the timeline."""
        staleness = [(r.reached_all_ns - r.change.at_ns) / MS for r in self._requests if r.reached_all_ns]
        return {
            "version": self.desired.version,
            "copies": {name: {"version": c.current.version, "refused": len(c.refused)}
                       for name, c in self.copies.items()},  # fmt: skip
            "writes": len(self._requests),
            "held_writes": sum(1 for e in self.timeline if e.what == "held"),
            "unreached_writes": sum(1 for r in self._requests if r.reached_all_ns is None),
            "max_staleness_ms": round(max(staleness), 3) if staleness else 0.0,
            "outages": [{"down_ns": a, "restored_ns": b} for a, b in self.outages],
            "timeline": [{"t_ns": e.t_ns, "what": e.what, "detail": e.detail} for e in self.timeline],
        }


def control_plane_of(world: TwinWorld) -> TwinControlPlane:
    """The world's control plane, installed on first use (the mechanism control-plane faults ask for)."""
    if world.control_plane is None:
        world.control_plane = TwinControlPlane(world)
    return world.control_plane


def install(world: TwinWorld, changes: Iterable[ConfigChange] = ()) -> TwinControlPlane:
    """Give the world a control plane and book each change's publication at its time."""
    plane = control_plane_of(world)
    for change in changes:
        world.clock.call_at(change.at_ns, lambda change=change: plane.publish(change))
    return plane

"""Swarm testing: many seeds, each with its own random mix of faults, every run checked.

After TigerBeetle's VOPR and FoundationDB's simulation testing: ``run_swarm`` runs one
scenario (by default ``scenarios/swarm_day.yaml``, a shortened trading day) under N seeds.
Each seed draws, from its own numpy ``SeedSequence`` streams, which of the registered fault
kinds (``chaos.faults.KINDS``, whatever is registered when the swarm runs) it injects and how
many of each, and each fault's own random shape (``Fault.draw``). So a seed fully determines
its fault mix and the twin run it is injected into: a failing seed is a bug report.

Each run has two phases:

* **safety** (the session's open to ``heal_ns``, ``heal_fraction`` of the session): every
  drawn fault starts and heals inside it; the invariants must hold whatever happens;
* **liveness** (from ``heal_ns`` on): faults are healed, and within ``liveness_bound_s`` of
  simulated time every order that existed at the heal has left the pre-venue states, every
  order that cannot rest (IOC, MARKET) has finished working, and after the close every order
  has stopped working.

After every run: the twin's invariants (``twin.invariants.check_all``), the liveness probes,
and the swarm's own safety checks (the router sent nothing to a venue its market data showed
DOWN; a crashed service's rebuilt components equal what it held when it died; every fault's
timed actions fell inside the safety phase). A failing seed is re-run with its run folder
written (the same seed gives the same run, which the re-run also checks by fingerprint), so
only failing runs' folders are kept.

Runs fan out with ``twin.fanout.run_many`` (process pool, or Dask). This module sits above
the twin: it imports ``twin``; the twin never imports it (``twin.cli_swarm`` reaches it by
module name, as ``twin.cli`` reaches every command module).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from chaos.faults import KINDS, Fault, WorldShape
from twin.cli_swarm import DEFAULT_SCENARIO  # the shortened trading day every swarm runs unless told otherwise

P_INCLUDE = 0.5
"""Chance that a seed injects a given kind at all (swarm testing: leaving kinds out of a mix
finds bugs that one kind masks for another)."""
MAX_MEAN_PER_KIND = 3.0
"""A kind a seed injects comes 1 + Poisson(rate) times, the rate uniform in [0, this)."""

_MIX_KEY = 0
"""Spawn key of the stream that picks a kind when a seed's own draws picked none."""

NS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class SwarmConfig:
    """What every seed of one swarm shares."""

    scenario: str = DEFAULT_SCENARIO
    """Scenario file the seeds run."""
    kinds: tuple[str, ...] = ()
    """Fault kinds seeds draw from; empty: every kind registered in ``chaos.faults.KINDS``."""
    out_dir: str = ""
    """Where failing runs' folders go (``seed-S/`` each); empty: none are written."""
    heal_fraction: float = 2 / 3
    """Share of the session (from the open) that is the safety phase: every fault healed by its end."""
    liveness_bound_s: float = 30.0
    """Simulated seconds after the heal (and after the close) by which orders must have moved on."""
    commit: str = "unknown"
    """The code's git commit, read once by the parent, printed with every failure."""

    def __post_init__(self) -> None:
        if not 0.0 < self.heal_fraction < 1.0:
            raise ValueError(f"heal_fraction: must be between 0 and 1 (exclusive), got {self.heal_fraction}")
        if self.liveness_bound_s <= 0:
            raise ValueError(f"liveness_bound_s: must be > 0, got {self.liveness_bound_s}")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"kinds: unknown fault kind {unknown[0]!r} (registered: {', '.join(sorted(KINDS))})")

    def kind_names(self) -> tuple[str, ...]:
        """The kinds this swarm draws from, in a stable (sorted) order."""
        return tuple(sorted(self.kinds or KINDS))


@dataclass(frozen=True, slots=True)
class SeedResult:
    """One seed's run: what it injected and how it ended."""

    seed: int
    faults: tuple[str, ...]
    """``Fault.describe()`` of every fault injected, in schedule order."""
    kinds: tuple[tuple[str, int], ...]
    """(kind, how many faults of it), for the kinds this seed injected."""
    passed: bool
    skipped: tuple[str, ...] = ()
    """Kinds this seed's world cannot take (none fits it, or no mechanism for their family)."""
    check: str = ""
    """The first failed check (an invariant, a liveness or swarm check, or ``exception``)."""
    problem: str = ""
    event_id: str = ""
    fingerprint: str = ""
    orders: int = 0
    events: int = 0
    wall_s: float = 0.0
    run_dir: str = ""
    """The kept folder of a failing run ("" for a passing one)."""


# ---------------------------------------------------------------- the fault mix of one seed


def _kind_key(kind: str) -> int:
    """A stable spawn key per kind (not Python's salted ``hash``): adding a kind never moves another
    kind's draws."""
    return int.from_bytes(hashlib.sha256(kind.encode()).digest()[:4], "big") | 1


def kind_rng(seed: int, kind: str) -> np.random.Generator:
    """The stream a seed draws ``kind``'s presence, count and instances from."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_kind_key(kind),)))


def draw_plan(seed: int, shape: WorldShape, kinds: tuple[str, ...]) -> tuple[Fault, ...]:
    """The faults seed ``seed`` injects into a world of ``shape`` (every one fitted inside
    ``shape``'s open..close by its kind's ``draw``), ordered by kind name then draw order.

    Each kind included with probability ``P_INCLUDE``, then 1 + Poisson(rate) instances; when no
    kind was included one is picked from the seed's mix stream, so every seed injects something.
    """
    chosen: list[tuple[str, np.random.Generator]] = []
    for kind in sorted(kinds):
        rng = kind_rng(seed, kind)
        if rng.random() < P_INCLUDE:
            chosen.append((kind, rng))
    if not chosen and kinds:
        mix = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_MIX_KEY,)))
        kind = sorted(kinds)[int(mix.integers(0, len(kinds)))]
        rng = kind_rng(seed, kind)
        rng.random()  # the presence draw, as if it had been included
        chosen.append((kind, rng))
    plan: list[Fault] = []
    for kind, rng in chosen:
        count = 1 + int(rng.poisson(rng.uniform(0.0, MAX_MEAN_PER_KIND)))
        for _ in range(count):
            fault = KINDS[kind].draw(rng, shape)
            if fault is not None:
                plan.append(fault)
    return tuple(plan)


def safety_shape(shape: WorldShape, heal_fraction: float) -> WorldShape:
    """``shape`` with its close moved to the end of the safety phase: faults drawn in it heal by then."""
    heal_ns = shape.open_ns + int((shape.close_ns - shape.open_ns) * heal_fraction)
    return replace(shape, close_ns=heal_ns)


def plan_record(fault: Fault) -> dict[str, Any]:
    """A fault as plain data: its kind and its fields (for a kept run folder's ``swarm_failure.json``)."""
    record: dict[str, Any] = {"kind": fault.kind, "family": fault.family}
    if is_dataclass(fault):
        for f in fields(fault):
            value = getattr(fault, f.name)
            record[f.name] = value if isinstance(value, (int, float, str, bool, type(None))) else repr(value)
    return record


# ---------------------------------------------------------------- one seed


class _RecordingWorld:
    """The FaultWorld a fault schedules on, noting the time of every action it books (so the swarm
    can tell a fault that would still be active in the liveness phase)."""

    def __init__(self, target: Any):
        self._target = target
        self.latest_ns = 0

    def schedule_at(self, t_ns: int, action: Callable[[], None]) -> None:
        self.latest_ns = max(self.latest_ns, t_ns)
        self._target.schedule_at(t_ns, action)

    def mechanism(self, port: type) -> Any:
        return self._target.mechanism(port)


@dataclass
class _Probes:
    """What the swarm watches during one run; each list holds (check, problem, event id) found."""

    found: list[tuple[str, str, str]] = field(default_factory=list)
    plan: tuple[Fault, ...] = ()
    """The faults injected (drawn, and the world has their family's mechanism)."""
    skipped: list[str] = field(default_factory=list)
    """Kinds this world cannot take: no fault of the kind fits it (``Fault.draw`` gave None, e.g. a
    region fault in a one-region world), or it has no mechanism for the kind's family
    (``FaultWorld.mechanism`` raised ``LookupError``). Never counted as exercised."""

    def fail(self, check: str, problem: str, event_id: str = "") -> None:
        self.found.append((check, problem, event_id))


def _install(world: Any, config: SwarmConfig, probes: _Probes) -> None:
    """``run_scenario``'s setup hook: draw this seed's faults for this world, schedule them, and book
    the liveness probes and the venue-health watch."""
    from components.domain.lifecycle import WORKING
    from components.domain.orders import OrderStatus, OrderType, TimeInForce
    from components.domain.venues import VenueStatus
    from twin.fault_target import fault_world, shape_of

    shape = shape_of(world)
    safe = safety_shape(shape, config.heal_fraction)
    heal_ns = safe.close_ns
    probe_rng = np.random.default_rng(0)  # one trial draw per kind: does any fault of it fit this world?
    probes.skipped.extend(k for k in config.kind_names() if KINDS[k].draw(probe_rng, safe) is None)
    target = fault_world(world)
    recorder = _RecordingWorld(target)
    injected = []
    for fault in draw_plan(world.seed, safe, config.kind_names()):
        try:
            fault.schedule(recorder)
        except LookupError:  # this world has no mechanism for the fault's family: it cannot be injected
            probes.skipped.append(fault.kind)
            continue
        injected.append(fault)
        target.scheduled.append(fault)  # as TwinFaultTarget.schedule notes it, for what reads the run's faults
    probes.plan = tuple(injected)
    if recorder.latest_ns > heal_ns:
        probes.fail("faults_heal_in_safety_phase", f"a fault acts at epoch ns {recorder.latest_ns}, after the "
                    f"heal at {heal_ns}")

    clock, platform = world.clock, world.platform  # orders read at probe time: a rebuilt OMS has a new dict
    bound_ns = int(config.liveness_bound_s * NS)
    before_venue = frozenset({OrderStatus.NEW, OrderStatus.VALIDATED, OrderStatus.RISK_APPROVED})

    def after_heal() -> None:
        for order in list(platform.oms.orders.values()):
            if order.created_ns > heal_ns:
                continue
            spec = order.spec
            rests = spec.order_type is OrderType.LIMIT and spec.time_in_force is not TimeInForce.IOC
            if order.status in before_venue or (not rests and order.status in WORKING):
                probes.fail("liveness_after_heal", f"order {order.order_id} still {order.status.value} "
                            f"{config.liveness_bound_s:g}s after the faults healed")
                return

    def after_close() -> None:
        for order in list(platform.oms.orders.values()):
            if order.status in WORKING:
                probes.fail("liveness_after_close", f"order {order.order_id} still {order.status.value} "
                            f"{config.liveness_bound_s:g}s after the close")
                return

    clock.call_at(heal_ns + bound_ns, after_heal)
    clock.call_at(shape.close_ns + bound_ns, after_close)

    # The router must not choose a venue its market data shows DOWN (a venue going down while the
    # child is on the wire is fine: the venue rejects it). Watched where the platform hands its
    # children over, in the routing handler itself: a multi-region world holds them there until the
    # standby has the events behind them, and the venue's health then is no longer the router's view.
    venues, status = world.platform.venues, world.market_data.venue_status
    send = venues.send

    def watched_send(child) -> None:
        if status(child.venue) is VenueStatus.DOWN and not any(c[0] == "router_respects_venue_health"
                                                                for c in probes.found):
            probes.fail("router_respects_venue_health", f"child {child.child_id} of order {child.order_id} "
                        f"sent to {child.venue} while its market data said DOWN")
        send(child)

    venues.send = watched_send


def _recovery_divergence(world: Any) -> tuple[str, str] | None:
    recovery = getattr(world, "recovery", None)
    for name, stats in sorted(getattr(recovery, "services", {}).items()):
        if stats.divergences:
            return ("rebuild_matches_memory", f"service {name} restarted and rebuilt {', '.join(stats.divergences)} "
                    "differently from the state it died with")
    return None


@lru_cache(maxsize=4)
def _scenario(path: str):
    from scenarios.config import load_scenario

    return load_scenario(path)


def run_seed(config: SwarmConfig, seed: int, out_dir: Path | None = None,
             probes: _Probes | None = None) -> SeedResult:
    """One seed: draw its faults, run the scenario with them, check everything. ``out_dir``: write the run
    folder there (the swarm does so only when re-running a failed seed); ``probes`` (optional) keeps
    what was drawn and found, for a caller that wants the fault objects themselves."""
    from twin.invariants import first_violation
    from twin.runner import run_scenario

    started = time.perf_counter()
    probes = _Probes() if probes is None else probes
    scenario = _scenario(config.scenario)
    try:
        result = run_scenario(scenario, seed, out_dir, check=False,
                              setup=lambda world: _install(world, config, probes))
    except Exception as exc:  # a run that blows up is a failed seed, not a failed swarm
        return _result(seed, probes, started, "exception", f"{type(exc).__name__}: {exc}",
                       detail=traceback.format_exc())
    world = result.world
    violation = first_violation(result.invariants)
    failed: tuple[str, str, str] | None = None
    if violation is not None:
        failed = (violation.invariant, violation.problem, violation.event_id)
    elif probes.found:
        failed = probes.found[0]
    elif (divergence := _recovery_divergence(world)) is not None:
        failed = (*divergence, "")
    check, problem, event_id = failed or ("", "", "")
    return _result(seed, probes, started, check, problem, event_id, fingerprint=result.fingerprint,
                   orders=len(world.platform.oms.orders), events=len(world.log))


def _result(seed: int, probes: _Probes, started: float, check: str, problem: str, event_id: str = "",
            detail: str = "", **run: Any) -> SeedResult:
    kinds = Counter(f.kind for f in probes.plan)
    if detail:  # the traceback's last frames: where the run blew up
        problem = f"{problem}\n" + "\n".join(detail.rstrip().splitlines()[-12:])
    return SeedResult(seed, tuple(f.describe() for f in probes.plan), tuple(sorted(kinds.items())), not check,
                      tuple(sorted(set(probes.skipped))), check, problem, event_id,
                      wall_s=time.perf_counter() - started, **run)


def reproduce_command(config: SwarmConfig, seed: int) -> str:
    """The one command that runs this seed again, alone, with the same fault mix."""
    kinds = f" --kinds {','.join(config.kinds)}" if config.kinds else ""
    return f"twin swarm --seeds 1 --first-seed {seed} --scenario {config.scenario}{kinds}"


def swarm_seed(task: tuple[SwarmConfig, int]) -> SeedResult:
    """The fan-out's unit of work (module level, so it pickles by name): run one seed and, when it failed
    and the swarm keeps folders, run it again writing its folder, plus ``swarm_failure.json`` (the check,
    the commit, the reproducing command, the fault plan as data)."""
    config, seed = task
    first = run_seed(config, seed)
    if first.passed or not config.out_dir:
        return first
    folder = Path(config.out_dir) / f"seed-{seed}"
    probes = _Probes()
    again = run_seed(config, seed, folder, probes)  # the run folder is written before the checks: kept
    folder.mkdir(parents=True, exist_ok=True)
    note = {
        "seed": seed, "commit": config.commit, "scenario": config.scenario, "check": first.check,
        "problem": first.problem, "event_id": first.event_id, "reproduce": reproduce_command(config, seed),
        "reproduced": again.check == first.check and again.fingerprint == first.fingerprint,
        "faults": [plan_record(f) for f in probes.plan],
    }
    (folder / "swarm_failure.json").write_text(json.dumps(note, indent=2, default=str) + "\n")
    return replace(first, run_dir=str(folder))


# ---------------------------------------------------------------- many seeds


@dataclass(frozen=True)
class SwarmSummary:
    """The swarm's outcome: every seed's result, and the totals the summary prints."""

    config: SwarmConfig
    results: tuple[SeedResult, ...]
    wall_s: float

    @property
    def failed(self) -> tuple[SeedResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    @property
    def seeds_per_minute(self) -> float:
        return 60.0 * len(self.results) / self.wall_s if self.wall_s > 0 else 0.0

    def kinds_exercised(self) -> dict[str, dict[str, int]]:
        """Per kind the swarm could draw: in how many seeds it was injected, and how many faults of it."""
        table = {kind: {"seeds": 0, "faults": 0, "skipped": 0} for kind in self.config.kind_names()}
        for result in self.results:
            for kind, count in result.kinds:
                row = table.setdefault(kind, {"seeds": 0, "faults": 0, "skipped": 0})
                row["seeds"] += 1
                row["faults"] += count
            for kind in result.skipped:
                table.setdefault(kind, {"seeds": 0, "faults": 0, "skipped": 0})["skipped"] += 1
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.config.scenario, "commit": self.config.commit, "seeds": len(self.results),
            "failed": len(self.failed), "wall_s": round(self.wall_s, 3),
            "seeds_per_minute": round(self.seeds_per_minute, 2), "kinds": self.kinds_exercised(),
            "heal_fraction": self.config.heal_fraction, "liveness_bound_s": self.config.liveness_bound_s,
            "failures": [{"seed": r.seed, "check": r.check, "problem": r.problem.splitlines()[0] if r.problem else "",
                          "event_id": r.event_id, "run_dir": r.run_dir,
                          "reproduce": reproduce_command(self.config, r.seed)} for r in self.failed],
        }

    def rows(self) -> list[dict[str, Any]]:
        """One row per seed (the parquet table): outcome, run size, and a count column per kind."""
        names = sorted(self.kinds_exercised())
        rows = []
        for r in self.results:
            counts = dict(r.kinds)
            row = {k: v for k, v in asdict(r).items() if k not in ("faults", "kinds", "skipped")}
            row["skipped"] = ",".join(r.skipped)
            row["problem"] = r.problem.splitlines()[0] if r.problem else ""
            row["faults"] = json.dumps(list(r.faults))
            row.update({f"kind_{name}": counts.get(name, 0) for name in names})
            rows.append(row)
        return rows

    def write(self, out_dir: Path) -> tuple[Path, Path]:
        """``summary.json`` and ``seeds.parquet`` (one row per seed) in ``out_dir``."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        out_dir.mkdir(parents=True, exist_ok=True)
        summary = out_dir / "summary.json"
        summary.write_text(json.dumps(self.to_json(), indent=2) + "\n")
        table = out_dir / "seeds.parquet"
        pq.write_table(pa.Table.from_pylist(self.rows()), table)
        return summary, table


def git_commit(cwd: Path | None = None) -> str:
    """The working tree's commit (``HEAD``), with ``-dirty`` when it has uncommitted changes (then the commit
    alone does not reproduce a failure), or "unknown" (no git, not a repository)."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"], capture_output=True,
                             text=True, timeout=10, cwd=cwd)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def run_swarm(config: SwarmConfig, seeds: range, *, workers: int | None = None, dask: str | None = None,
              progress: str | None = None, stop_at_first_failure: bool = False) -> SwarmSummary:
    """Run every seed of ``seeds`` with ``config``; results in seed order.

    ``workers``/``dask``/``progress`` go to ``twin.fanout.run_many`` (``workers=1``: in this process).
    ``stop_at_first_failure``: run in batches (one seed at a time in process) and stop after the batch
    holding the first failing seed; the results then end there.
    """
    from twin.fanout import run_many

    _scenario(config.scenario)  # a bad scenario file fails here, once, not in every worker
    started = time.perf_counter()
    tasks = [(config, seed) for seed in seeds]
    if not stop_at_first_failure:
        results = run_many(swarm_seed, tasks, workers=workers, dask=dask, progress=progress)
    else:
        batch = 1 if workers == 1 and dask is None else 4 * (workers or 2)
        results = []
        for at in range(0, len(tasks), batch):
            results.extend(run_many(swarm_seed, tasks[at:at + batch], workers=workers, dask=dask))
            failing = next((i for i, r in enumerate(results) if not r.passed), None)
            if failing is not None:
                del results[failing + 1:]  # the batch's later seeds ran too; the swarm stops at the first
                break
    return SwarmSummary(config, tuple(results), time.perf_counter() - started)


def summary_lines(summary: SwarmSummary) -> list[str]:
    """What ``twin swarm`` prints: each failure (seed, commit, check, the reproducing command, the kept
    folder), then the totals and the kinds exercised."""
    config, lines = summary.config, []
    for r in summary.failed:
        lines.append(f"FAILED seed {r.seed} (commit {config.commit}): {r.check}: "
                     f"{r.problem.splitlines()[0] if r.problem else ''}"
                     + (f" (first offending event {r.event_id})" if r.event_id else ""))
        lines.append(f"  faults: {'; '.join(r.faults) or 'none'}")
        lines.append(f"  reproduce: {reproduce_command(config, r.seed)}")
        if r.run_dir:
            lines.append(f"  run folder kept: {r.run_dir}")
    lines.append(f"swarm {config.scenario}: {len(summary.results)} seeds run, {len(summary.failed)} failed, "
                 f"{summary.wall_s:.1f}s wall, {summary.seeds_per_minute:.1f} seeds/minute (commit {config.commit})")
    lines.append("fault kinds exercised (seeds / faults):")
    for kind, row in sorted(summary.kinds_exercised().items()):
        cannot = f"  (this scenario cannot take it in {row['skipped']} seeds)" if row["skipped"] else ""
        lines.append(f"  {kind:<28} {row['seeds']:>5} / {row['faults']}{cannot}")
    return lines

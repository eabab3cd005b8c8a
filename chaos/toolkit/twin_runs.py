"""Twin runs with a fault plan: what the Chaos Toolkit actions and probes drive on the simulated side.

A fault plan is a list of mappings, one per fault, as an experiment file writes them::

    {"kind": "control_plane_outage", "at": "09:40", "duration_s": 600}

``kind`` names a registered fault class (``chaos.faults.KINDS``); ``at`` ("HH:MM[:SS]", New York
time on the session date) becomes ``at_ns``; a field ``X_s`` or ``X_ms`` becomes ``X_ns`` when the
class has ``X_ns`` and not ``X_s``/``X_ms`` itself; every other key is passed as it is.

A *state folder* holds one experiment's runs: ``baseline/`` (the fault-free run, made on first
need), each faulted run, and ``current`` (the folder the probes measure: the baseline until an
action records a faulted run, again after ``reset``). Each run folder gets ``chaos.json`` beside
the usual outputs: the faults (kind, parameters, start as New York session time, duration), the
order-path latency (``reports.gameday.order_path``) overall and per simulated minute, final order
statuses, and what the control plane and analytics service did; ``orders.json`` lists every order's
entry time and final status, so that a faulted run can be compared with its baseline
(``compare_with_baseline``).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import time
from pathlib import Path
from typing import Any, Iterable, Mapping

from chaos.faults import KINDS, Fault
from components.config.session import session_time
from reports.gameday import order_path, order_path_by_minute
from scenarios.config import Scenario, load_scenario
from twin.analytics_service import analytics_of
from twin.control_plane import ConfigChange, install
from twin.fault_target import fault_evidence, fault_world
from twin.fault_target import scenario_faults as scenario_fault_list
from twin.recorder import events_frame
from twin.runner import run_scenario
from twin.world import TwinWorld

NS = 1_000_000_000


def session_ns(scenario: Scenario, text: str) -> int:
    """Epoch ns of "HH:MM" or "HH:MM:SS" (New York) on the scenario's session date."""
    try:
        moment = time.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected \"HH:MM\" or \"HH:MM:SS\", got {text!r}") from None
    return scenario.session.at_ns(moment)


def fault_from_mapping(raw: Mapping[str, Any], scenario: Scenario, where: str) -> Fault:
    """One fault of a plan (see the module docstring); a one-line ``ValueError`` naming ``where``."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"{where}: expected a mapping with a 'kind', got {type(raw).__name__}")
    kind = raw.get("kind")
    cls = KINDS.get(str(kind))
    if cls is None:
        raise ValueError(f"{where}.kind: unknown fault kind {kind!r} (known: {', '.join(sorted(KINDS))})")
    names = {f.name for f in dataclasses.fields(cls)}
    args: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "kind":
            continue
        if key == "at" and "at_ns" in names:
            try:
                args["at_ns"] = session_ns(scenario, str(value))
            except ValueError as exc:
                raise ValueError(f"{where}.at: {exc}") from None
        elif key not in names and key.endswith("_s") and key[:-2] + "_ns" in names:
            args[key[:-2] + "_ns"] = _to_ns(value, NS, f"{where}.{key}")
        elif key not in names and key.endswith("_ms") and key[:-3] + "_ns" in names:
            args[key[:-3] + "_ns"] = _to_ns(value, 1_000_000, f"{where}.{key}")
        else:
            args[key] = value
    try:
        return cls(**args)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} ({kind}): {exc}") from None


def _to_ns(value: Any, unit_ns: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) > 1e9:
        raise ValueError(f"{where}: a number of {'seconds' if unit_ns == NS else 'milliseconds'} is expected, "
                         f"got {value!r}")
    return int(value * unit_ns)


def run_with_faults(scenario_path: str | Path, out: str | Path, seed: int | None = None,
                    faults: Iterable[Mapping[str, Any]] = (), config_changes: Iterable[Mapping[str, Any]] = (),
                    analytics: bool = False, full_outputs: bool = False,
                    scenario_faults: bool = True) -> dict[str, Any]:
    """Run ``scenario_path`` with the fault plan into ``out``; write and return its chaos.json.

    ``full_outputs`` also writes the usual run folder (summary.json, parquet tables, report.html);
    by default only chaos.json, which is all the probes read (and a few seconds faster).
    ``scenario_faults`` False drops the scenario file's own ``faults`` section (the fault-free
    baseline of a scenario that kills a region, say); the plan's faults are injected either way.
    ``config_changes`` (``{at, setting, name, value}``, see ``twin.control_plane.ConfigChange``)
    are published to a control plane; ``analytics`` hosts the analytics service (a fault of either
    family installs its mechanism anyway). Invariant failures do not raise: they are in the figures.
    """
    scenario = load_scenario(scenario_path)
    if not scenario_faults and getattr(scenario, "faults", ()):
        scenario = dataclasses.replace(scenario, faults=())
    plan = [fault_from_mapping(f, scenario, f"faults[{i}]") for i, f in enumerate(faults)]
    changes = [ConfigChange.from_mapping(c, f"config_changes[{i}]", lambda t: session_ns(scenario, t))
               for i, c in enumerate(config_changes)]  # fmt: skip

    def setup(world: TwinWorld) -> None:
        if analytics:
            analytics_of(world)
        if changes:
            install(world, changes)
        target = fault_world(world)  # the catalogue's mechanisms, this package's included
        for fault in plan:
            target.schedule(fault)

    out = Path(out)
    result = run_scenario(scenario, seed, out_dir=out if full_outputs else None, check=False, setup=setup)
    world = result.world
    events = events_frame(list(world.log.read()))
    injected = [*scenario_fault_list(world), *plan]  # the scenario file's own faults, then the plan's
    figures: dict[str, Any] = {
        "scenario": scenario.name,
        "seed": result.world.seed,
        "fingerprint": result.fingerprint,
        "invariants_held": result.passed,
        "violations": [r.name for r in result.invariants if not r.passed],
        "faults": [fault_record(f) for f in injected],
        "order_path": order_path(events),
        "order_path_by_minute": order_path_by_minute(events),
        "orders": dict(sorted(_final_statuses(world).items())),
        "affected": affected_orders(world, injected),
    }
    if world.control_plane is not None:
        figures["control_plane"] = world.control_plane.summary()
    if world.analytics is not None:
        figures["analytics"] = world.analytics.summary()
    if getattr(world, "regions", None) is not None:  # replication and failovers: RPO, RTO (twin.regions)
        figures["regions"] = world.regions.summary()
    storage = fault_evidence(world).get("storage")
    if storage is not None:  # the storage faults' report: what was corrupted, what the hash chain caught
        figures["storage"] = {"corrupted": len(storage.corrupted), "detected": len(storage.detections),
                              "undetected": len(storage.undetected)}
    out.mkdir(parents=True, exist_ok=True)
    (out / "chaos.json").write_text(json.dumps(figures, indent=2, sort_keys=True))
    entered = sorted((o.created_ns, o.status.value) for o in world.platform.oms.orders.values())
    (out / ORDERS_FILE).write_text(json.dumps(entered))
    return figures


ORDERS_FILE = "orders.json"
"""Per run folder: ``[created_ns, final status]`` of every order, sorted (for baseline comparisons)."""

_TIMING_FIELDS = ("at_ns", "duration_ns")


def fault_record(fault: Fault) -> dict[str, Any]:
    """A fault as chaos.json (and so the journal) carries it: kind, family, its own parameters, the
    start in epoch ns and as New York "HH:MM:SS" (``at``), the duration in ns and seconds."""
    at_ns, duration_ns = getattr(fault, "at_ns", None), getattr(fault, "duration_ns", None)
    params = {f.name: getattr(fault, f.name) for f in dataclasses.fields(fault) if f.name not in _TIMING_FIELDS}
    return {"kind": fault.kind, "family": fault.family, "at_ns": at_ns, "duration_ns": duration_ns,
            "at": None if at_ns is None else session_time(at_ns),
            "duration_s": None if duration_ns is None else duration_ns / NS,
            "params": json.loads(json.dumps(params, default=str)), "describe": fault.describe()}

INSTANT_WINDOW_NS = 60 * NS
"""An instantaneous fault (no ``duration_ns``) affects the orders entered in the minute after it."""


def affected_orders(world: TwinWorld, plan: list[Fault]) -> dict[str, Any]:
    """Orders entered while a fault was active (its window; a minute after an instantaneous one),
    how many, and how each ended (count per final status)."""
    return _in_windows(((o.created_ns, o.status.value) for o in world.platform.oms.orders.values()),
                       fault_windows(plan))


def fault_windows(plan: Iterable[Fault | Mapping[str, Any]]) -> list[tuple[int, int]]:
    """[start, end) ns of each timed fault (a fault or its chaos.json record); an instantaneous one
    gets ``INSTANT_WINDOW_NS``."""
    def field(f: Any, name: str) -> Any:
        return f.get(name) if isinstance(f, Mapping) else getattr(f, name, None)

    return [(field(f, "at_ns"), field(f, "at_ns") + (field(f, "duration_ns") or INSTANT_WINDOW_NS))
            for f in plan if field(f, "at_ns") is not None]  # fmt: skip


def _in_windows(orders: Iterable[tuple[int, str]], windows: list[tuple[int, int]]) -> dict[str, Any]:
    ended: dict[str, int] = {}
    for created_ns, status in orders:
        if any(start <= created_ns < end for start, end in windows):
            ended[status] = ended.get(status, 0) + 1
    return {"count": sum(ended.values()), "ended": dict(sorted(ended.items()))}


def compare_with_baseline(run: Mapping[str, Any], baseline_dir: str | Path) -> dict[str, Any]:
    """The fault-free baseline's figures beside a faulted run's ``run`` figures: its final statuses,
    the orders it entered in the faulted run's fault windows and how they ended, its order path and
    per-minute series, and the difference per final status (faulted minus baseline)."""
    base = figures(baseline_dir)
    entered = [tuple(o) for o in json.loads((Path(baseline_dir) / ORDERS_FILE).read_text())]
    affected = _in_windows(entered, fault_windows(run.get("faults") or []))
    statuses = sorted(set(run["orders"]) | set(base["orders"]))
    return {"run": str(Path(baseline_dir)), "fingerprint": base["fingerprint"], "orders": base["orders"],
            "orders_difference": {s: run["orders"].get(s, 0) - base["orders"].get(s, 0) for s in statuses},
            "affected": affected, "order_path": base["order_path"],
            "order_path_by_minute": base.get("order_path_by_minute") or []}

def _final_statuses(world: TwinWorld) -> dict[str, int]:
    counts: dict[str, int] = {}
    for order in world.platform.oms.orders.values():
        counts[order.status.value] = counts.get(order.status.value, 0) + 1
    return counts


# -- state folders ----------------------------------------------------------------------------------
def current_run(state_dir: str | Path, scenario: str | Path, seed: int | None = None,
                config_changes: Iterable[Mapping[str, Any]] | None = None, analytics: bool = False) -> Path:
    """The run the probes measure: the one ``current`` names, else the baseline (made if missing)."""
    marker = Path(state_dir) / "current"
    if marker.exists():
        return Path(marker.read_text().strip())
    return baseline_run(state_dir, scenario, seed, config_changes, analytics)


def baseline_run(state_dir: str | Path, scenario: str | Path, seed: int | None = None,
                 config_changes: Iterable[Mapping[str, Any]] | None = None, analytics: bool = False) -> Path:
    """The fault-free run of ``scenario`` with ``seed`` in ``state_dir/baseline`` (made if missing),
    with the same workload as the faulted run (its ``config_changes``, the analytics service) and
    without the scenario file's own faults."""
    base = Path(state_dir) / "baseline"
    if not (base / "chaos.json").exists() or not (base / ORDERS_FILE).exists():  # orders.json: older folders
        run_with_faults(scenario, base, seed, config_changes=config_changes or (), analytics=analytics,
                        scenario_faults=False)
    return base


def figures(run_dir: str | Path) -> dict[str, Any]:
    """A run folder's chaos.json; a one-line ``FileNotFoundError`` naming it when there is none."""
    path = Path(run_dir) / "chaos.json"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no chaos.json (not a run made by chaos.toolkit)")
    return json.loads(path.read_text())

"""Benchmark: events per second through every surveillance detector, on one core.

The stream is real: one run of ``blocks_day`` (client orders, advisor blocks)
with bad actors switched on (spoofer, wash trader, closer, front-runner, benign
links), so every detector has work. Its events are copied with fresh order and
event ids, each copy a day later, up to N events (default 1,000,000); the
engine (``components.surveillance.SurveillanceEngine``) then reads them one by
one in a single thread, as it reads the live bus. Prints the rate against the
target of 50,000 events per second and the alerts raised.

    python loadtests/benchmarks/bench_surveillance.py [--events N] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from components.domain.events import OrderEvent  # noqa: E402
from components.surveillance import AccountRef, Linkage, SurveillanceEngine  # noqa: E402
from loadtests.benchmarks import figures  # noqa: E402

DAY_NS = 86_400 * 1_000_000_000
TARGET = 50_000


def source_run(scenario_path: Path) -> tuple[list[OrderEvent], Linkage, int]:
    """A labelled run's events, its linkage and its session close."""
    from scenarios.config import load_scenario
    from scenarios.config_bad_actors import BadActor, BadActors
    from twin.runner import run_scenario

    scenario = load_scenario(scenario_path)
    if not scenario.bad_actors.active:
        scenario = replace(scenario, bad_actors=BadActors(
            spoofer=BadActor(episodes=4), wash_trader=BadActor(episodes=4), closer=BadActor(episodes=1),
            front_runner=BadActor(episodes=4), benign_links=3))
    world = run_scenario(scenario).world
    plan = world.bad_actor_plan  # type: ignore[attr-defined]
    refs = [AccountRef(a.account_id, a.client_id, a.advisor_id) for a in world.population.accounts]
    return list(world.log.read()), Linkage(refs, plan.shared_identifiers, plan.advisor_links), \
        scenario.session_close_ns


def copies(events: list[OrderEvent], count: int) -> list[OrderEvent]:
    """``count`` events: the run repeated, copy k with order and event ids suffixed k and times k days on."""
    out = []
    size = len(events)
    for i in range(count):
        k, j = divmod(i, size)
        e = events[j]
        out.append(e if k == 0 else e._replace(event_id=f"{e.event_id}.{k}", order_id=f"{e.order_id}.{k}",
                                               timestamp_utc=e.timestamp_utc + k * DAY_NS,
                                               recorded_at=e.recorded_at + k * DAY_NS))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to push through (default 1,000,000)")
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "blocks_day.yaml"))
    args = parser.parse_args(argv)
    if args.events <= 0:
        parser.error("--events: must be > 0")
    events, linkage, close_ns = source_run(Path(args.scenario))
    stream = copies(events, args.events)
    engine = SurveillanceEngine(linkage, close_ns)
    alerts = 0
    consume = engine.consume
    started = time.perf_counter()
    for ev in stream:
        alerts += len(consume(ev))
    alerts += len(engine.finish())
    seconds = time.perf_counter() - started
    rate = len(stream) / seconds
    print(f"source run                {len(events):>10,} events ({Path(args.scenario).name} with bad actors)")
    print(f"events through detectors  {len(stream):>10,} in {seconds:.2f}s")
    print(f"rate                      {rate:>10,.0f} events/s  (target >= {TARGET:,}: "
          f"{'MET' if rate >= TARGET else 'NOT MET'})")
    print(f"alerts                    {alerts:>10,}")
    figures.record("events_per_s", rate, "events/s", "higher")
    return 0


if __name__ == "__main__":
    sys.exit(main())

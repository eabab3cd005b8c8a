"""Benchmark: the SQLite event store.

Events are real shapes: one smoke-scenario run's events, copied with fresh
event and order ids up to N events (default 1,000,000). Prints:

* appends per second, batched commits (``--batch``, default 1,000 per
  transaction) and single-event commits (durable, i.e. fsync per commit, and
  not), the latter on a small sample since each commit waits for the disk;
* the batched append again on a sample with synchronous=NORMAL (no fsync per
  commit), to show what the durable commit costs;
* replay of all N events from SQLite (read + decode), a full chain verify, and
  both in one pass (``read_verified``: read + decode + verify, the issue 19
  target: under 5 s for 1,000,000);
* recovery of the projections: a snapshot taken ``--tail`` events before the
  end (default 100,000) + replay of the tail, against a full replay.

Everything is measured for storage format 2 (``segments``, the newest, ``codec.FORMAT``); the batched
append, the replays and the file size are then measured again for format 1, in the same run, to
compare (``--formats``). Figures of format 1 carry a ``_v1`` suffix.

Each figure is printed as wall time and, in brackets, this process's CPU time (all threads) with the
rate it gives: on a shared machine the wall time moves with other load, the CPU time much less.
Headline figures also go to ``BENCH_FIGURES`` (``figures.py``) for ``make bench``.

    python loadtests/benchmarks/bench_eventstore.py [--events N] [--batch B] [--single S] [--tail T]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Iterator

from components.domain.events import OrderEvent
from components.eventstore import Projections, SnapshotStore, SqliteEventStore, recover
from components.eventstore.codec import FORMAT, from_record
from loadtests.benchmarks import figures

APPEND_TARGET = 100_000  # events/s, batched, durable, with the hash chain (issue 19)
REPLAY_TARGET_S = 5.0  # read + decode + verify of 1,000,000 events (issue 19)

FORMATS = (FORMAT, 1)  # measured in full, then the older format for comparison, in the same run
DAY_NS = 86_400 * 1_000_000_000
SMOKE = Path(__file__).resolve().parents[2] / "scenarios" / "smoke.yaml"


def template_records() -> list[dict]:
    from scenarios.config import load_scenario
    from twin.runner import run_scenario

    return [e.to_record() for e in run_scenario(load_scenario(SMOKE)).world.log.read()]


def synthetic_events(templates: list[dict], count: int, first: int = 0) -> Iterator[OrderEvent]:
    """Event ``first`` .. ``first + count - 1`` of the endless copy of the template run:
    copy k renames every order (suffix k) and moves both times k days on."""
    size = len(templates)
    for i in range(first, first + count):
        copy, record = divmod(i, size)
        t = templates[record]
        shift = copy * DAY_NS
        yield from_record({**t, "event_id": f"EV-{i:010d}", "order_id": f"{t['order_id']}.{copy}",
                           "trace_id": f"{t['trace_id']}.{copy}", "timestamp_utc": t["timestamp_utc"] + shift,
                           "recorded_at": t["recorded_at"] + shift})


def load_average() -> str:
    """The machine's load average: on a shared machine the wall figures depend on it (the CPU ones much less)."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def rate_line(label: str, count: int, seconds: float, cpu: float) -> str:
    """``label  count in wall s = rate/s [CPU s = rate/s]``: one figure as printed."""
    return (f"{label:<44} {count:>10,} in {seconds:7.2f}s  = {count / seconds:>10,.0f}/s "
            f"[CPU {cpu:6.2f}s = {count / max(cpu, 1e-9):>10,.0f}/s]")


def timed(label: str, count: int, fn, figure: str | None = None, note: str = ""):
    """Run ``fn``, print its rate (wall and CPU); with ``figure``, record the seconds (``figure``_s),
    the rate and the CPU seconds (``figure``_cpu_s)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = fn()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(rate_line(label, count, seconds, cpu) + note, flush=True)
    if figure:
        figures.record(f"{figure}_s", seconds, "s", "lower")
        figures.record(f"{figure}_per_s", count / seconds, "events/s", "higher")
        figures.record(f"{figure}_cpu_s", cpu, "s", "lower")
    return result


def replay_with_snapshot(store, at: int) -> tuple[SnapshotStore, Projections, float, float]:
    """One full replay into the projections, snapshotting after ``at`` events on the way.
    Returns the snapshots, the projections, replay seconds (net of the snapshot) and
    snapshot seconds."""
    snapshots, full, snapshot_s = SnapshotStore(every=max(1, at)), Projections(), 0.0

    def snapshot() -> float:
        mark = time.perf_counter()
        snapshots.save(at, full.to_bytes())
        return time.perf_counter() - mark

    started = time.perf_counter()
    for event in store.read():
        if at and full.events == at:
            snapshot_s = snapshot()
        full.apply(event)
    if at and full.events == at and not len(snapshots):  # no tail: the snapshot is at the end
        snapshot_s = snapshot()
    return snapshots, full, time.perf_counter() - started - snapshot_s, snapshot_s


def append_batched(path: Path, templates: list[dict], args, fmt: int, make_s: float, make_cpu: float) -> None:
    """The headline append: N events, ``--batch`` per durable commit, net of making the events."""
    n = args.events
    suffix = "" if fmt == FORMAT else f"_v{fmt}"
    with SqliteEventStore(path, format=fmt) as store:
        started, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        store.append_batch(synthetic_events(templates, n), batch_size=args.batch)
        seconds = time.perf_counter() - started - make_s * n
        cpu = time.process_time() - cpu - make_cpu * n
        own = time.thread_time() - own - make_cpu * n
    print(rate_line(f"append, {args.batch:,} events/commit, durable", n, seconds, cpu)
          + f" (net of making the events; target >= {APPEND_TARGET:,}/s: "
          f"{'MET' if n / seconds >= APPEND_TARGET else 'NOT MET'}) "
          f"[by CPU time: {'MET' if n / max(cpu, 1e-9) >= APPEND_TARGET else 'NOT MET'}]", flush=True)
    # The appending thread encodes, hashes and packs; the store's writer thread runs SQLite (GIL released).
    print(f"{'  of the CPU: appending thread, writer thread':<44} {own:9.2f}s {cpu - own:7.2f}s "
          f"({own / n * 1e6:.1f} + {(cpu - own) / n * 1e6:.1f} us/event)")
    figures.record(f"append_batched_durable_per_s{suffix}", n / seconds, "events/s", "higher")
    figures.record(f"append_batched_durable_cpu_s{suffix}", cpu, "s", "lower")
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # with any WAL left
    print(f"{'file size':<44} {size / 2**20:>10,.1f} MiB ({size / n:.0f} B/event)")
    figures.record(f"bytes_per_event{suffix}", size / n, "B", "lower")


def replay_figures(path: Path, n: int, fmt: int) -> None:
    """Replay, verify and the one-pass verified replay of the whole file."""
    suffix = "" if fmt == FORMAT else f"_v{fmt}"
    with SqliteEventStore(path, read_only=True) as store:
        timed("replay from SQLite (read + decode)", n, lambda: sum(1 for _ in store.read()),
              figure="replay" + suffix)
        result = timed("verify hash chain (and query columns)", n, store.verify, figure="verify" + suffix)
        assert result.ok and result.count == n, result
        started, cpu = time.perf_counter(), time.process_time()
        count = sum(1 for _ in store.read_verified(expected_head=result.head))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert count == n
        met = "MET" if seconds < REPLAY_TARGET_S * n / 1_000_000 else "NOT MET"
        met_cpu = "MET" if cpu < REPLAY_TARGET_S * n / 1_000_000 else "NOT MET"
        print(rate_line("replay + verify, one pass (read_verified)", n, seconds, cpu)
              + f" (target {REPLAY_TARGET_S:.0f} s per 1,000,000: {met}) [by CPU time: {met_cpu}]", flush=True)
        figures.record("replay_verified_cpu_s" + suffix, cpu, "s", "lower")
        figures.record("replay_verified_s" + suffix, seconds, "s", "lower")
        figures.record("replay_verified_per_s" + suffix, n / seconds, "events/s", "higher")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1_000, help="events per transaction when batching")
    parser.add_argument("--single", type=int, default=2_000, help="events appended one commit each")
    parser.add_argument("--tail", type=int, default=100_000, help="events after the snapshot used for recovery")
    parser.add_argument("--formats", default=",".join(map(str, FORMATS)),
                        help="storage formats to measure, the first in full (default: 2, then 1 to compare)")
    args = parser.parse_args()
    n = args.events
    formats = [int(f) for f in args.formats.split(",")]
    templates = template_records()
    print(f"{'load average (1, 5, 15 min) at the start':<44} {load_average()}", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        # Making the events is not the store's work: time it on a sample to net it out below.
        sample = min(n, 100_000)
        started, cpu = time.perf_counter(), time.process_time()
        sum(1 for _ in synthetic_events(templates, sample))
        make_s, make_cpu = (time.perf_counter() - started) / sample, (time.process_time() - cpu) / sample

        for fmt in formats:
            layout = "one row per segment of records" if fmt == 2 else "one row per record"
            print(f"-- storage format {fmt} ({layout}) --", flush=True)
            path = Path(tmp) / f"events-v{fmt}.sqlite"
            if fmt != formats[0]:  # the comparison: the batched append and the replays only
                append_batched(path, templates, args, fmt, make_s, make_cpu)
                replay_figures(path, n, fmt)
                path.unlink()
                continue
            single = min(args.single, n)
            for durable in (True, False):
                with SqliteEventStore(Path(tmp) / f"single-{durable}.sqlite", durable=durable, format=fmt) as store:
                    events = list(synthetic_events(templates, single))
                    timed(f"append, 1 event/commit, {'durable' if durable else 'synchronous=NORMAL'}", single,
                          lambda: [store.append(e) for e in events],
                          figure=f"append_single_{'durable' if durable else 'normal'}")
            append_batched(path, templates, args, fmt, make_s, make_cpu)

            made = list(synthetic_events(templates, sample))  # made before timing: only the store is timed
            with SqliteEventStore(Path(tmp) / "normal.sqlite", durable=False, format=fmt) as store:
                timed(f"append, {args.batch:,} events/commit, synchronous=NORMAL", sample,
                      lambda: store.append_batch(made, batch_size=args.batch), figure="append_batched_normal")
            made = []  # freed before the replay, whose memory is measured
            replay_figures(path, n, fmt)

            with SqliteEventStore(path, read_only=True) as store:
                at = max(0, n - args.tail)
                snapshots, full, seconds, snapshot_s = replay_with_snapshot(store, at)
                print(f"{'recover by full replay (projections)':<44} {n:>10,} in {seconds:7.2f}s  "
                      f"= {n / seconds:>10,.0f}/s")
                size = len(snapshots.latest()[1]) if len(snapshots) else 0
                print(f"{'  snapshot taken at offset ' + format(at, ','):<44} {size / 2**20:>10,.1f} MiB "
                      f"in {snapshot_s:7.2f}s")
                started = time.perf_counter()
                recovered = recover(store, snapshots)
                seconds = time.perf_counter() - started
                assert recovered.to_bytes() == full.to_bytes()
                print(f"{'recover from snapshot + replay of the tail':<44} {n - at:>10,} in {seconds:7.2f}s  "
                      "(load snapshot, then replay)")
                figures.record("recover_snapshot_tail_s", seconds, "s", "lower")
            path.unlink()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'load average (1, 5, 15 min) at the end':<44} {load_average()}")
    print(f"{'peak memory':<44} {peak:>10,.0f} MiB")
    figures.record("peak_mib", peak, "MiB", "lower")


if __name__ == "__main__":
    main()

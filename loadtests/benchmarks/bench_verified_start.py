"""Benchmark: verifying a 1,000,000-event log before serving it.

Builds a SQLite event log of N events (default 1,000,000; real shapes: the smoke
scenario's events copied with fresh ids, as ``bench_eventstore`` does) through
the store's ``append_batch`` (in the default storage format for a new file), not
through the platform, plus its keyed anchor log (an anchor every ``--every``
events, default 10,000, and a stop anchor at the end). Then times, each as the
whole process a user waits for (interpreter start, imports, open, verify):

(a) full verification: ``twin replay-log LOG --verify-only`` (every record's hash
    and query columns, and the anchors);
(b) the live verified start as shipped (``[event_log] start_check = "chain"``):
    what ``twin serve`` runs before it serves (``live.bootstrap._proven_log``:
    the anchors, the hash chain of every record, the query columns after the last
    anchor), opened read-only so the log is left as it was;
(c) the verified start from the last anchor (``start_check = "anchors"``): the
    anchors and the chain after the last one only.

With ``--restart``, also the whole restart a user waits for before the API
answers (``live.bootstrap.build_live``: verified start *and* the rebuild of
every component from the log, no snapshots yet), twice:

(d) two passes: the chain verified, then the log read again for the rebuild
    (``live.adapters.anchoring.ONE_PASS_START = False``, as before);
(e) one pass: the chain verified during the rebuild's read (``ChainOnRead``,
    the default).

The rebuild costs far more than the check on a long log, so ``--restart`` is
meant for a smaller ``--events`` (e.g. 50,000).

    python loadtests/benchmarks/bench_verified_start.py [--events N] [--every K] [--keep DIR]
                                                        [--skip-full] [--restart]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from components.eventstore.anchorlog import anchor_path, write_anchors  # noqa: E402
from components.eventstore.anchors import KEY_ENV  # noqa: E402
from components.eventstore.sqlite import SqliteEventStore  # noqa: E402
from loadtests.benchmarks import figures  # noqa: E402
from loadtests.benchmarks.bench_eventstore import synthetic_events, template_records  # noqa: E402


def build_log(db: Path, count: int, every: int, key: bytes) -> None:
    """``count`` events appended through the store (in its default format for a new file, as the live store
    writes it), and the keyed anchor log."""
    with SqliteEventStore(db, durable=False) as store:
        store.append_batch(synthetic_events(template_records(), count), batch_size=50_000)
        hashes = {offset: store.hash_at(offset) for offset in range(count)
                  if (offset + 1) % every == 0 or offset == count - 1}
    write_anchors(anchor_path(db), hashes, time.time_ns(), key, every)


START = """
import sys, time
t0 = time.perf_counter()
from pathlib import Path
from components.config.live import EventLogConfig, LiveConfig
from live.adapters.clock import WallClock
from live.bootstrap import _proven_log
db, key_file, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
config = LiveConfig(event_log=EventLogConfig(path=str(db), anchor_key_file=key_file, start_check=mode),
                    run_dir=str(db.parent))
log, integrity = _proven_log(config, db.parent, WallClock(), read_only=True)
check = integrity.check
log.close()
print(f"verified start: ok={check.ok} records={check.records} anchors={check.anchors.anchors} "
      f"keyed={check.anchors.keyed} hashes_from={check.chain_from} columns_from={check.columns_from} "
      f"verify_ms={integrity.verify_ms:.0f} process_s={time.perf_counter() - t0:.2f}")
sys.exit(0 if check.ok else 1)
"""


RESTART = """
import sys, time
t0 = time.perf_counter()
import dataclasses
from pathlib import Path
import live.adapters.anchoring as anchoring
from components.config.live import EventLogConfig, LiveConfig
from live.bootstrap import build_live
db, key_file, one_pass = Path(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
anchoring.ONE_PASS_START = one_pass
config = LiveConfig(event_log=EventLogConfig(path=str(db), anchor_key_file=key_file), run_dir=str(db.parent))
config = dataclasses.replace(config, venue_link=dataclasses.replace(config.venue_link, mode="direct"))
t1 = time.perf_counter()
live = build_live(config)
built = time.perf_counter() - t1
print(f"restart: one_pass={live.integrity.one_pass} records={live.integrity.check.records} "
      f"verify_ms={live.integrity.verify_ms:.0f} rebuild_ms={live.restored.rebuild_ms:.0f} "
      f"build_live_s={built:.2f} process_s={time.perf_counter() - t0:.2f}")
live.close()  # appends a stop anchor: the next restart sees the same records
"""


def timed_process(label: str, argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(f"{label:<58} {seconds:7.2f} s", flush=True)
    for line in (done.stdout + done.stderr).strip().splitlines()[:3]:
        print(f"    {line}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--keep", default=None, help="folder to build the log in (kept; reused if present)")
    parser.add_argument("--skip-full", action="store_true", help="skip (a), the full replay-log check")
    parser.add_argument("--restart", action="store_true",
                        help="also time (d) and (e), the whole restart (verified start + rebuild), two passes vs one")
    args = parser.parse_args()

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-verified-"))
    run_dir, keys = work / "run", work / "keys"
    run_dir.mkdir(parents=True, exist_ok=True)
    keys.mkdir(exist_ok=True)
    key_file = keys / "anchor.key"
    if not key_file.is_file():
        key_file.write_text(os.urandom(32).hex())
    db = run_dir / "events.sqlite"
    key = bytes.fromhex(key_file.read_text())
    if not db.is_file() or len(SqliteEventStore(db, read_only=True)) != args.events:
        for stale in (db, anchor_path(db)):
            stale.unlink(missing_ok=True)
        started = time.perf_counter()
        build_log(db, args.events, args.every, key)
        print(f"built {args.events:,} events + anchors every {args.every:,} in {time.perf_counter() - started:.1f} s "
              f"({db.stat().st_size / 1e6:.0f} MB)", flush=True)

    env = {k: v for k, v in os.environ.items() if k != KEY_ENV}
    env["PYTHONPATH"] = str(ROOT)
    full = None if args.skip_full else timed_process(
        "(a) full verification: twin replay-log --verify-only",
        [sys.executable, "-m", "twin.cli", "replay-log", str(db), "--verify-only", "--anchor-key-file", str(key_file)],
        env)
    chain = timed_process("(b) verified start, whole chain hashed (default)",
                          [sys.executable, "-c", START, str(db), str(key_file), "chain"], env)
    anchor = timed_process("(c) verified start from the last anchor (start_check=anchors)",
                           [sys.executable, "-c", START, str(db), str(key_file), "anchors"], env)
    ratios = f"(a)/(b) {full / chain:.1f}x, (a)/(c) {full / anchor:.1f}x; " if full else ""
    if full is not None:
        figures.record("full_verify_s", full, "s", "lower")
    figures.record("verified_start_chain_s", chain, "s", "lower")
    figures.record("verified_start_anchors_s", anchor, "s", "lower")
    print(f"{ratios}target under 10 s: (b) {'met' if chain < 10 else 'MISSED'}, "
          f"(c) {'met' if anchor < 10 else 'MISSED'}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.restart:
        two = timed_process("(d) restart, two passes (verify, then rebuild)",
                            [sys.executable, "-c", RESTART, str(db), str(key_file), "0"], env)
        one = timed_process("(e) restart, one pass (verified during the rebuild)",
                            [sys.executable, "-c", RESTART, str(db), str(key_file), "1"], env)
        print(f"restart: one pass {one:.2f} s vs two passes {two:.2f} s ({two - one:+.2f} s saved); "
              f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

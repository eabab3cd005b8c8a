"""Benchmark: drawing a run report's figures in process vs on forked workers (reports.figure_pool, issue 19).

Re-writes ``report.html`` of a finished run folder (its summary.json, events.parquet and orders.parquet;
by default a fresh ``twin run scenarios/trading_day.yaml``) once per mode and repeat, each time in a
fresh process, and prints per run: ``write_report`` wall seconds, the CPU of the report-writing process
and of its figure workers (``RUSAGE_CHILDREN``), the writer's peak RSS, and the workers' memory sampled
from /proc while they run (largest RSS of one worker, and the sum over the workers of their private
pages and of their PSS, the fair share of pages shared with the writer). It says whether every mode
wrote the same bytes. The memory is sampled in one more run of its own, as sampling slows the workers.
Figures are of this run only; the machine's load (``os.getloadavg``) is printed
with each, as a shared machine's wall times depend on it.

    python loadtests/benchmarks/bench_report_figures.py [--run-dir DIR] [--workers N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUN_FILES = ("summary.json", "events.parquet", "orders.parquet")
SAMPLE_S = 0.1  # reading smaps_rollup walks a worker's page tables: more often would slow the workers it measures


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def write_once(run_dir: Path, out_dir: Path, workers: int) -> dict:
    """In this process: write ``out_dir/report.html`` from ``run_dir``'s files; what it cost."""
    import pandas as pd

    from reports.html import write_report

    shutil.copytree(run_dir, out_dir, dirs_exist_ok=True)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary.pop("timing", None)  # written after the report by the twin: not on the page either way
    events = pd.read_parquet(run_dir / "events.parquet")
    orders = pd.read_parquet(run_dir / "orders.parquet")
    wall, cpu, children = time.perf_counter(), _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    write_report(summary, events, orders, out_dir, workers=workers)
    return {"wall_s": time.perf_counter() - wall, "cpu_s": _cpu(resource.RUSAGE_SELF) - cpu,
            "workers_cpu_s": _cpu(resource.RUSAGE_CHILDREN) - children,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _kib(fields: str, names: tuple[str, ...]) -> int:
    return sum(int(line.split()[1]) for line in fields.splitlines() if line.split(":")[0] in names)


def _children_memory(pid: int) -> tuple[int, int, int]:
    """(largest RSS, sum of private, sum of PSS) over ``pid``'s child processes now, KiB; zeros if none."""
    try:
        children = (Path(f"/proc/{pid}/task/{pid}/children").read_text()).split()
    except OSError:
        return 0, 0, 0
    rss, private, pss = 0, 0, 0
    for child in children:
        try:
            fields = Path(f"/proc/{child}/smaps_rollup").read_text()
        except OSError:  # it ended between the two reads
            continue
        rss = max(rss, _kib(fields, ("Rss",)))
        private += _kib(fields, ("Private_Clean", "Private_Dirty"))
        pss += _kib(fields, ("Pss",))
    return rss, private, pss


def measure(run_dir: Path, out_dir: Path, workers: int, sample_memory: bool = False) -> dict:
    """Write the report in a fresh process (``--child``); with ``sample_memory``, sample its workers' memory
    from here meanwhile (which slows them: reading smaps_rollup walks their page tables under the lock their
    page faults need, so the times of such a run are not reported)."""
    cmd = [sys.executable, __file__, "--child", "--run-dir", str(run_dir), "--out", str(out_dir),
           "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    peak = [0, 0, 0]
    while sample_memory and proc.poll() is None:
        peak = [max(a, b) for a, b in zip(peak, _children_memory(proc.pid))]
        time.sleep(SAMPLE_S)
    out, _ = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"report writer failed (exit {proc.returncode}): {' '.join(cmd)}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(worker_rss_mib=peak[0] / 1024, workers_private_mib=peak[1] / 1024, workers_pss_mib=peak[2] / 1024)
    return result


def fresh_run(where: Path) -> Path:
    """A trading_day run folder (the twin's default scenario) made for this benchmark."""
    out = where / "trading_day"
    twin = Path(sys.executable).with_name("twin")
    print(f"running: {twin} run scenarios/trading_day.yaml --quiet --out {out}", flush=True)
    subprocess.run([str(twin), "run", "scenarios/trading_day.yaml", "--quiet", "--out", str(out)], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, help="a finished run folder (default: run trading_day first)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="workers of the pooled mode (default: the machine's cores)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.workers < 1 or args.repeat < 1:
        print("--workers and --repeat must be >= 1", file=sys.stderr)
        return 2
    if args.child:
        print(json.dumps(write_once(args.run_dir, args.out, args.workers)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench_report_figures-") as tmp:
        run_dir = args.run_dir or fresh_run(Path(tmp))
        missing = [name for name in RUN_FILES if not (run_dir / name).exists()]
        if missing:
            print(f"--run-dir {run_dir}: not a run folder (no {', '.join(missing)})", file=sys.stderr)
            return 2
        pages = {}
        print(f"{'workers':>7} {'wall s':>7} {'writer CPU s':>12} {'workers CPU s':>13} {'total CPU s':>11} "
              f"{'writer peak MiB':>15} {'load 1m':>7}")
        for repeat in range(args.repeat):
            for workers in sorted({1, args.workers}):
                out = Path(tmp) / f"report-{workers}-{repeat}"
                load = os.getloadavg()[0]
                r = measure(run_dir, out, workers)
                pages.setdefault(workers, (out / "report.html").read_bytes())
                print(f"{workers:>7} {r['wall_s']:>7.2f} {r['cpu_s']:>12.2f} {r['workers_cpu_s']:>13.2f} "
                      f"{r['cpu_s'] + r['workers_cpu_s']:>11.2f} {r['peak_rss_mib']:>15.0f} {load:>7.2f}", flush=True)
        if args.workers > 1:
            r = measure(run_dir, Path(tmp) / "report-memory", args.workers, sample_memory=True)
            print(f"workers' memory ({args.workers} workers; one more run, sampled every {SAMPLE_S:g} s): largest "
                  f"RSS of one worker {r['worker_rss_mib']:.0f} MiB (counts the pages it shares with the writer), "
                  f"private pages {r['workers_private_mib']:.0f} MiB and PSS {r['workers_pss_mib']:.0f} MiB "
                  f"summed over the workers")
        same = len(set(pages.values())) == 1
        print(f"report.html identical in every mode: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())

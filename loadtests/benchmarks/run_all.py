"""Run every benchmark at its default size and write one ``bench.json`` (``make bench``).

Each ``bench_*.py`` in this folder runs as its own process, as a user runs it
(``python loadtests/benchmarks/bench_x.py``), one after the other so they do not
compete for the cores. The whole process is timed (``wall_s``, start to exit,
imports included) and its peak resident memory taken from the kernel
(``max_rss_mib``). The figures are the ones the script records with
``figures.record`` (``BENCH_FIGURES`` points it at a scratch file). A progress
line per benchmark goes to the console; each one's own output is kept in a log
folder next to the JSON (``bench.logs/`` for ``bench.json``).

    python loadtests/benchmarks/run_all.py [--out bench.json] [--only bench_book ...]
                                           [--args 'bench_book=--ops 3000'] [--timeout S]

The result::

    {"machine": {"cpu_count": .., "python": .., "platform": .., "git_commit": .., "git_dirty": .., "started_utc": ..},
     "benchmarks": {"bench_x": {"figures": {name: {"value": v, "unit": u, "better": "lower"|"higher"}},
                                "wall_s": .., "rc": .., "max_rss_mib": .., "log": ..}}}

``compare.py OLD NEW`` compares two such files.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from loadtests.benchmarks import figures  # noqa: E402


def discover(folder: Path = HERE) -> list[str]:
    """The benchmark names (``bench_x``) in ``folder``, sorted."""
    return sorted(p.stem for p in folder.glob("bench_*.py"))


def machine() -> dict:
    """What the figures were measured on: enough to tell two runs' machines apart."""
    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git_commit": git("rev-parse", "HEAD") or None,
        "git_dirty": bool(status),
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def run_one(name: str, args: list[str], log: Path, timeout: float | None, folder: Path = HERE) -> dict:
    """Run ``folder/name.py args`` to the end; its entry for ``bench.json``."""
    with tempfile.TemporaryDirectory() as tmp:
        figure_file = Path(tmp) / "figures.jsonl"
        env = {**os.environ, figures.ENV: str(figure_file), "PYTHONUNBUFFERED": "1"}
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "w", encoding="utf-8") as out:
            started = time.perf_counter()
            process = subprocess.Popen([sys.executable, str(folder / f"{name}.py"), *args], cwd=ROOT, env=env,
                                       stdout=out, stderr=subprocess.STDOUT)
            rc, max_rss_mib = _wait(process, timeout)
            wall_s = time.perf_counter() - started
        try:
            found = figures.read(figure_file)
            problem = ""
        except ValueError as exc:  # a malformed record: keep the run, say why its figures are missing
            found, problem = {}, str(exc)
    entry = {"figures": found, "wall_s": round(wall_s, 3), "rc": rc, "max_rss_mib": max_rss_mib,
             "log": str(log), "args": args}
    if rc == -1:
        entry["error"] = f"timed out after {timeout} s"
    elif problem:
        entry["error"] = problem
    return entry


def _wait(process: subprocess.Popen, timeout: float | None) -> tuple[int, float | None]:
    """The exit code (-1 on timeout) and peak RSS in MiB of this one child (``wait4``:
    ``RUSAGE_CHILDREN`` would give the largest of all children so far)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            # ru_maxrss is KiB on Linux (bytes on macOS, where this is only a rough figure).
            return process.returncode, round(usage.ru_maxrss / 1024, 1)
        if deadline is not None and time.monotonic() > deadline:
            process.kill()
            process.wait()
            return -1, None
        time.sleep(0.05)


def parse_args_option(values: list[str], known: list[str]) -> dict[str, list[str]]:
    """``['bench_x=--n 5', ...]`` as ``{bench_x: ['--n', '5']}``; a one-line error on a bad item."""
    extra: dict[str, list[str]] = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise SystemExit(f"--args {value!r}: expected NAME=ARGS, e.g. 'bench_book=--ops 3000'")
        if name not in known:
            raise SystemExit(f"--args {value!r}: no benchmark named {name!r} (known: {', '.join(known)})")
        extra[name] = shlex.split(rest)
    return extra


def main(argv: list[str] | None = None, folder: Path = HERE) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.environ.get("BENCH_OUT", "bench.json"),
                        help="where to write the results (default: $BENCH_OUT or bench.json)")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks (bench_x)")
    parser.add_argument("--args", action="append", default=[], metavar="NAME=ARGS",
                        help="extra arguments for one benchmark (repeatable), e.g. 'bench_book=--ops 3000'")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before a benchmark is killed")
    opts = parser.parse_args(argv)

    known = discover(folder)
    names = opts.only or known
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"--only: no benchmark named {', '.join(unknown)} (known: {', '.join(known)})")
    extra = parse_args_option(opts.args, known)
    out = Path(opts.out)
    logs = out.with_name(out.stem + ".logs")

    result = {"machine": machine(), "benchmarks": {}}
    total = time.perf_counter()
    for i, name in enumerate(names, 1):
        print(f"[{i}/{len(names)}] {name:<28} running ...", flush=True)
        entry = run_one(name, extra.get(name, []), logs / f"{name}.txt", opts.timeout, folder)
        result["benchmarks"][name] = entry
        status = "ok" if entry["rc"] == 0 else f"FAILED rc={entry['rc']} (see {entry['log']})"
        print(f"[{i}/{len(names)}] {name:<28} {entry['wall_s']:8.1f} s  {len(entry['figures']):3d} figures  "
              f"{entry['max_rss_mib'] or 0:7.0f} MiB  {status}", flush=True)
        out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")  # each step: a crash keeps the rest
    failed = [n for n, e in result["benchmarks"].items() if e["rc"] != 0]
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(f"wrote {out} ({len(names)} benchmarks in {time.perf_counter() - total:.0f} s"
          f"{', failed: ' + ', '.join(failed) if failed else ''})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""``twin capacity``: arrival-rate sweeps, the knee and the bottleneck (``twin.capacity``).

    twin capacity scenarios/smoke.yaml --rates 5,10,20,40 --replicas risk=2 --seeds 3 --out reports/out/cap
    twin capacity scenarios/trading_day.yaml --rates 1,2 --target-multiple 3       # what do we need for 3x?
    twin capacity scenarios/smoke.yaml --rates 5 --locust out/u5/load_stats.csv --locust out/u20/load_stats.csv

Writes ``runs.parquet`` (one row per run), ``summary.csv`` (per rate, mean and 95% CI over
seeds), ``capacity.json`` (knees, bottleneck, recommendation, load-test comparison) and
``capacity.html`` (the report with plots, ``reports.capacity``) into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from components.config.schema import ScenarioError
from scenarios.config import load_scenario
from scenarios.service_times import THIS_MACHINE, ProfileError, load_profile

from . import cli_args
from .run_folders import OUT_ROOT

DEFAULT_OUT = OUT_ROOT / "capacity"


def register(subparsers) -> None:
    cmd = subparsers.add_parser("capacity", help="arrival-rate sweep: throughput, queueing, latency vs budgets, the knee")
    cmd.add_argument("scenario", help="scenario YAML file")
    cmd.add_argument("--rates", required=True, help="client orders a second, comma-separated, e.g. 5,10,20,40")
    cmd.add_argument("--replicas", default="", help="replicas per service, e.g. risk=2,oms=3 (default 1 each)")
    cmd.add_argument("--seeds", type=int, default=1, help="runs per rate, seeds seed..seed+K-1 (default 1)")
    cmd.add_argument("--seed", type=cli_args.seed, default=None, help="first seed (default: the scenario's)")
    cmd.add_argument("--keep-shape", action="store_true",
                     help="keep the scenario's U-shaped day (the rate is the day's mean); default: flat arrivals")
    cmd.add_argument("--target-multiple", type=float, default=None,
                     help="also search the smallest replicas meeting the SLO at this multiple of the scenario's volume")
    cmd.add_argument("--workers", type=int, default=None, help="local processes (default: one per core; 1 = in process)")
    cmd.add_argument("--dask", default=None, help="Dask scheduler address (tcp://host:8786) or 'local'")
    cmd.add_argument("--locust", action="append", default=[],
                     help="a locust *_stats.csv to compare with the twin's live-stack prediction (repeatable)")
    cmd.add_argument("--profile", default=str(THIS_MACHINE),
                     help="service-time profile with an http section for --locust (default: this machine's)")
    cmd.add_argument("--client-ms", type=float, default=0.0,
                     help="with --locust: the load generator's own time per request (CPU ms with --cpu-share), "
                          "a second single server (default 0: the live process alone; see docs/capacity.md)")
    cmd.add_argument("--cpu-share", type=float, default=None,
                     help="with --locust: share of a core each process gets while the test runs (e.g. cores / load "
                          "average); service times become measured CPU / share (default: wall times as measured)")
    cmd.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    cmd.set_defaults(func=_cmd_capacity)


def parse_rates(text: str) -> list[float]:
    """``"5,10,20"`` -> [5.0, 10.0, 20.0]; ValueError naming the bad item."""
    rates = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            rate = float(item)
        except ValueError:
            raise ValueError(f"--rates: {item!r} is not a number (orders a second)") from None
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(f"--rates: {item!r}: a rate must be > 0")
        rates.append(rate)
    if not rates:
        raise ValueError("--rates: give at least one rate, e.g. 5,10,20")
    return sorted(set(rates))


def users_of(stats_csv: Path) -> int:
    """The user count of a locust run: the most users in its ``*_stats_history.csv`` beside the stats file."""
    import pandas as pd

    history = stats_csv.with_name(stats_csv.name.replace("_stats.csv", "_stats_history.csv"))
    try:
        frame = pd.read_csv(history)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--locust {stats_csv}: cannot read {history.name} for the user count: {exc}") from None
    if "User Count" not in frame:
        raise ValueError(f"--locust {stats_csv}: {history.name} has no 'User Count' column")
    return int(frame["User Count"].max())


MISSED_BY = 0.5
"""A p95 error beyond which the terminal says the prediction does not hold and what to do about it."""


def missed_note(missed: list[dict], measured: dict) -> str:
    """Why a load test may be missed and what to do: the profile's HTTP times carry the machine's load when
    they were benched (docs/capacity.md, "Measured on this machine")."""
    worst = max(missed, key=lambda t: abs(t["p95_error"]))
    how = measured.get("http_how", "")
    load = how.rsplit("load average", 1)[-1].split(";")[0].strip() if "load average" in how else "unknown"
    shared = "" if worst["cpu_share"] is None else f" (with --cpu-share {worst['cpu_share']:g})"
    return (f"note: the twin misses {len(missed)} load test(s) by more than {MISSED_BY:.0%} of p95 (worst "
            f"{worst['p95_error']:+.0%}, {worst['users']} users){shared}. The profile's HTTP service times were "
            f"benched with load average {load}, and carry that machine's load: bench this machine into a copy of "
            f"the profile (cp PROFILE mine.json; python loadtests/benchmarks/bench_calibrate.py --profile mine.json; "
            f"then --profile mine.json here) or model the test's share of a core with --cpu-share "
            f"CORES/LOAD_AVERAGE (docs/capacity.md)")


def compare_load_tests(paths: list[str], profile_path: str, client_ms: float = 0.0,
                       cpu_share: float | None = None) -> list[dict]:
    """Per locust run: measured (its Aggregated row) and predicted (``twin.capacity_live``), and the p95 error."""
    from loadtests.slo_check import SloError, read_locust_stats

    from .capacity_live import predict_load_test

    profile = load_profile(profile_path)
    rows = []
    for text in paths:
        path = Path(text)
        try:
            measured = read_locust_stats(path)
        except SloError as exc:
            raise ValueError(f"--locust {exc}") from None
        users = users_of(path)
        predicted = predict_load_test(profile, users, client_ms=client_ms, cpu_share=cpu_share)
        rows.append({"source": str(path), "users": users, "client_ms": client_ms, "cpu_share": cpu_share, "measured_rps": measured.requests_per_s,
                     "measured_p50_ms": measured.p50_ms, "measured_p95_ms": measured.p95_ms,
                     "measured_p99_ms": measured.p99_ms, "predicted_rps": predicted.requests_per_s,
                     "predicted_p50_ms": predicted.p50_ms, "predicted_p95_ms": predicted.p95_ms,
                     "predicted_p99_ms": predicted.p99_ms, "predicted_utilisation": predicted.utilisation,
                     "p95_error": (predicted.p95_ms - measured.p95_ms) / measured.p95_ms if measured.p95_ms else math.nan})
    return rows


def _cmd_capacity(args: argparse.Namespace) -> int:
    from reports.capacity import write_capacity_report

    from .capacity import parse_replicas, search_replicas, summarise, sweep, knees
    from .fanout import FanOutError

    try:
        rates = parse_rates(args.rates)
        replicas = parse_replicas(args.replicas)
        if args.seeds < 1:
            raise ValueError(f"--seeds: must be >= 1, got {args.seeds}")
        if args.target_multiple is not None and not args.target_multiple > 0:
            raise ValueError(f"--target-multiple: must be > 0, got {args.target_multiple}")
        scenario = load_scenario(args.scenario)
        if not (math.isfinite(args.client_ms) and args.client_ms >= 0):
            raise ValueError(f"--client-ms: must be a number >= 0, got {args.client_ms}")
        if args.cpu_share is not None and not 0 < args.cpu_share <= 1:
            raise ValueError(f"--cpu-share: must be in (0, 1], got {args.cpu_share}")
        comparison = compare_load_tests(args.locust, args.profile, args.client_ms, args.cpu_share) if args.locust else []
    except (ValueError, ScenarioError, ProfileError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot read {args.scenario}: {exc.strerror}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fan = {"workers": args.workers, "dask": args.dask}
    try:
        runs = sweep(scenario, rates, replicas, args.seeds, first_seed=args.seed, keep_shape=args.keep_shape,
                     progress="capacity sweep", **fan)
        recommendation = None
        if args.target_multiple is not None:
            recommendation = search_replicas(scenario, args.target_multiple, replicas, seeds=args.seeds,
                                             keep_shape=args.keep_shape, progress=print, **fan)
    except (FanOutError, ValueError, ProfileError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    summary = summarise(runs)
    found = knees(summary)
    runs.to_parquet(out / "runs.parquet", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    result = {
        "scenario": scenario.name, "rates": rates, "replicas": replicas, "seeds": args.seeds,
        "knees": [{"service": k.service, "demand_ms": k.demand_ms, "knee_rate": _finite(k.knee_rate),
                   "knee_interval": None if k.knee_interval is None else [_finite(v) for v in k.knee_interval],
                   "saturation_rate": _finite(k.saturation_rate), "latency_knee_rate": k.latency_knee_rate,
                   "peak_utilisation": k.peak_utilisation} for k in found],
        "bottleneck": found[0].service if found else None,
        "recommendation": None if recommendation is None else {
            "target_multiple": args.target_multiple, "rate_per_s": recommendation.rate_per_s,
            "replicas": recommendation.replicas, "met": recommendation.met,
            "steps": [{"config": c, "breaches": list(b)} for c, b in recommendation.steps]},
        "load_tests": comparison,
        "profile_measured": ({k: v for k, v in load_profile(args.profile).measured.items() if k != "http_mix"}
                             if args.locust else None),  # when and how the profile compared with was benched
    }
    (out / "capacity.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    report = write_capacity_report(out / "capacity.html", summary, result)
    _print(summary, result)
    print(f"runs: {out / 'runs.parquet'} ({len(runs)} runs)  report: {report}")
    return 0


def _finite(value: float) -> float | None:
    """JSON has no infinity: a service that never bends has no knee (None)."""
    return None if math.isinf(value) else value


def _print(summary, result: dict) -> None:
    from reports.latency import SEGMENTS

    head = f"{'rate/s':>7} {'orders/s':>9} " + " ".join(f"{s + ' p95':>12}" for s in SEGMENTS)
    print(head + "  utilisation (busiest)")
    services = [k["service"] for k in result["knees"]]
    for _, row in summary.iterrows():
        busiest = max(services, key=lambda n: row[f"{n}_utilisation"]) if services else ""
        lat = " ".join(f"{row[f'{s}_p95_ms']:>9.1f} ms" for s in SEGMENTS)
        print(f"{row['rate_per_s']:>7g} {row['throughput_per_s']:>9.1f} {lat}  "
              f"{busiest} {row.get(f'{busiest}_utilisation', 0):.2f}")
    for k in result["knees"]:
        if k["knee_rate"] is not None:
            interval = k.get("knee_interval")
            spread = ("one or two rates below saturation: no interval" if interval is None else
                      f"95% {interval[0]:.1f} to {'no upper end' if interval[1] is None else f'{interval[1]:.1f}'}")
            print(f"knee {k['service']:<10} {k['knee_rate']:>9.1f} orders/s ({spread}; saturates at "
                  f"{k['saturation_rate']:.1f}; {k['demand_ms']:.2f} ms of work per order)")
    if result["bottleneck"]:
        print(f"bottleneck: {result['bottleneck']}")
        knee, top = result["knees"][0]["knee_rate"], max(result["rates"])
        if knee is not None and knee > top:
            print(f"  (its knee is beyond the highest swept rate, {top:g}/s: extrapolated; sweep up to it to confirm)")
    rec = result["recommendation"]
    if rec:
        verdict = "meets the SLO" if rec["met"] else "does NOT meet the SLO (search stopped)"
        print(f"at {rec['target_multiple']:g}x volume ({rec['rate_per_s']:.1f} orders/s): "
              f"{', '.join(f'{k}={v}' for k, v in rec['replicas'].items())} {verdict}")
    for t in result["load_tests"]:
        print(f"load test {t['users']} users: measured {t['measured_rps']:.1f} req/s, p50 {t['measured_p50_ms']:.0f} ms, "
              f"p95 {t['measured_p95_ms']:.0f} ms; twin predicts {t['predicted_rps']:.1f} req/s, "
              f"p50 {t['predicted_p50_ms']:.0f} ms, p95 {t['predicted_p95_ms']:.0f} ms (p95 error {t['p95_error']:+.0%})")
    missed = [t for t in result["load_tests"] if abs(t["p95_error"]) > MISSED_BY]
    if missed:
        print(missed_note(missed, result.get("profile_measured") or {}))

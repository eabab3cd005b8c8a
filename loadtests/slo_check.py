"""The load test's service-level objective and the check that fails a run breaching it.

A run passes when the whole run's p99 response time and its error rate (failed
requests / requests) are both within the SLO. The SLO comes from a small TOML
file (``loadtests/slo.toml``, keys ``p99_ms`` and ``max_error_rate``) and/or
command-line flags, the flags winning; what is left out takes the defaults
below, which come from the platform blueprint's budgets.

Used two ways: the locustfile's ``quitting`` listener checks the live stats and
sets locust's exit code, and ``python loadtests/slo_check.py PREFIX_stats.csv``
checks a finished run's CSV (exit 0 pass, 1 breach, 2 bad input).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from reports.latency import BUDGETS_MS

ORDER_PATH_SEGMENTS = ("gateway", "oms", "risk", "routing")
"""What ``POST /v1/orders`` crosses before it answers: the order is received, validated,
risk-checked and routed in the request (fills arrive later), so its budget is their sum."""

DEFAULT_P99_MS = float(sum(BUDGETS_MS[s][1] for s in ORDER_PATH_SEGMENTS))
"""155 ms: the blueprint's p99 budgets of gateway (35), OMS (45), risk (50) and routing (25)."""
DEFAULT_MAX_ERROR_RATE = 0.01
"""1% of requests may fail (an unexpected status, a refused connection, a timeout)."""
DEFAULT_SLO_FILE = Path(__file__).with_name("slo.toml")


class SloError(ValueError):
    """A bad SLO file or value; the message names the file/field and the problem."""


@dataclass(frozen=True, slots=True)
class Slo:
    """The objective a load test must meet over the whole run."""

    p99_ms: float = DEFAULT_P99_MS
    """99th percentile response time of all requests, in milliseconds."""
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE
    """Largest acceptable fraction of failed requests, 0..1."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.p99_ms) and self.p99_ms > 0):
            raise SloError(f"p99_ms: must be a positive number of milliseconds, not {self.p99_ms!r}")
        if not (math.isfinite(self.max_error_rate) and 0 <= self.max_error_rate <= 1):
            raise SloError(f"max_error_rate: must be a fraction between 0 and 1, not {self.max_error_rate!r}")


def load_slo(path: str | Path | None = None, p99_ms: float | None = None,
             max_error_rate: float | None = None) -> Slo:
    """The SLO from ``path`` (default ``loadtests/slo.toml`` if it exists), then the given overrides."""
    values: dict[str, float] = {}
    file = Path(path) if path else (DEFAULT_SLO_FILE if DEFAULT_SLO_FILE.exists() else None)
    if file is not None:
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SloError(f"{file}: cannot read: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise SloError(f"{file}: not TOML: {exc}") from None
        for key, value in raw.items():
            if key not in ("p99_ms", "max_error_rate"):
                raise SloError(f"{file}: {key}: unknown key (known: p99_ms, max_error_rate)")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SloError(f"{file}: {key}: must be a number, not {value!r}")
            values[key] = float(value)
    try:
        slo = Slo(**values)
    except SloError as exc:
        raise SloError(f"{file}: {exc}") from None
    if p99_ms is not None:
        slo = replace(slo, p99_ms=p99_ms)
    if max_error_rate is not None:
        slo = replace(slo, max_error_rate=max_error_rate)
    return slo


@dataclass(frozen=True, slots=True)
class Measured:
    """What a run measured over all its requests."""

    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests_per_s: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a run met the SLO, and one line per breach."""

    passed: bool
    breaches: tuple[str, ...]

    def describe(self, measured: Measured, slo: Slo) -> str:
        head = (f"{measured.requests} requests, {measured.failures} failed ({measured.error_rate:.2%}), "
                f"{measured.requests_per_s:.1f} req/s, p50 {measured.p50_ms:g} ms, p95 {measured.p95_ms:g} ms, "
                f"p99 {measured.p99_ms:g} ms; SLO p99 <= {slo.p99_ms:g} ms, errors <= {slo.max_error_rate:.2%}")
        if self.passed:
            return f"SLO PASS: {head}"
        return "SLO FAIL: " + head + "".join(f"\n  breach: {b}" for b in self.breaches)


def check(measured: Measured, slo: Slo) -> Verdict:
    """Pass iff requests were made, p99 is within ``slo.p99_ms`` and the error rate within its maximum."""
    breaches = []
    if measured.requests == 0:
        breaches.append("no requests were made")
    if measured.p99_ms > slo.p99_ms:
        breaches.append(f"p99 {measured.p99_ms:g} ms > {slo.p99_ms:g} ms")
    if measured.error_rate > slo.max_error_rate:
        breaches.append(f"error rate {measured.error_rate:.2%} > {slo.max_error_rate:.2%}")
    return Verdict(not breaches, tuple(breaches))


_CSV_COLUMNS = ("Request Count", "Failure Count", "50%", "95%", "99%", "Requests/s")


def read_locust_stats(path: str | Path) -> Measured:
    """The ``Aggregated`` row of locust's ``PREFIX_stats.csv``."""
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise SloError(f"{path}: cannot read: {exc.strerror}") from None
    total = [r for r in rows if r.get("Name") == "Aggregated"]
    if not total:
        raise SloError(f"{path}: no 'Aggregated' row: not a locust --csv stats file")
    row = total[0]
    missing = [c for c in _CSV_COLUMNS if c not in row]
    if missing:
        raise SloError(f"{path}: column {missing[0]!r} missing")

    def number(column: str) -> float:
        text = row[column]
        try:
            return 0.0 if text in ("", "N/A") else float(text)
        except ValueError:
            raise SloError(f"{path}: Aggregated row, column {column!r}: not a number: {text!r}") from None

    return Measured(int(number("Request Count")), int(number("Failure Count")), number("50%"), number("95%"),
                    number("99%"), number("Requests/s"))


def main(argv: list[str] | None = None) -> int:
    """``slo_check.py STATS_CSV [--slo FILE] [--p99-ms MS] [--max-error-rate F]``: 0 pass, 1 breach, 2 bad input."""
    parser = argparse.ArgumentParser(description="check a locust run's CSV against the load-test SLO")
    parser.add_argument("stats_csv", help="locust's PREFIX_stats.csv (from --csv PREFIX)")
    parser.add_argument("--slo", default=None, help=f"SLO file (default {DEFAULT_SLO_FILE.name} if present)")
    parser.add_argument("--p99-ms", type=float, default=None, help=f"p99 limit in ms (default {DEFAULT_P99_MS:g})")
    parser.add_argument("--max-error-rate", type=float, default=None,
                        help=f"largest failed fraction, 0..1 (default {DEFAULT_MAX_ERROR_RATE})")
    args = parser.parse_args(argv)
    try:
        slo = load_slo(args.slo, args.p99_ms, args.max_error_rate)
        measured = read_locust_stats(args.stats_csv)
    except SloError as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    verdict = check(measured, slo)
    print(verdict.describe(measured, slo))
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())

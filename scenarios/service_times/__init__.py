"""Service-time profiles: what each platform service's handler costs, measured (``twin calibrate``).

A profile is a JSON file (format ``bdt-service-times/1``)::

    {
      "format": "bdt-service-times/1",
      "measured": {"how": "...", "clock": "process_time_ns", "host": "...", "at_utc": "...",
                   "scenario": "smoke", "seed": 7, "load_average": [0.7, 0.8, 1.0]},
      "services": {
        "risk": {
          "count": 1234,
          "quantiles_us": {"p50": 21.0, "p90": 40.1, "p95": 52.3, "p99": 90.0, "max": 410.0},
          "lognormal": {"median_ms": 0.021, "p99_ms": 0.09},
          "sample_us": [18.2, 21.0, ...],
          "by_message": {"CheckRisk": {"count": ..., "quantiles_us": {...}, "lognormal": {...}}}
        }, ...
      },
      "http": {"POST /v1/orders": {"count": ..., "quantiles_us": {...}, "sample_us": [...]}, ...}
    }

``services`` is keyed by the twin's service names (``components.platform.SERVICES``). A
scenario that names a profile (``service_times: FILE``) draws each listed service's time
from its ``sample_us`` (resampled with replacement on the service's own seeded stream:
the measured distribution itself, tail included), or from the fitted ``lognormal`` when
there is no sample; services the profile does not list keep the scenario's ``services``
section. ``by_message`` and ``quantiles_us`` are for people and reports. ``http``
(optional, written by ``loadtests/benchmarks/bench_calibrate.py``) is the live API's cost
per request kind, HTTP included: what the live-stack prediction of ``twin capacity`` uses.

Every problem in a file is one :class:`ProfileError` naming the file and the field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

FORMAT = "bdt-service-times/1"
QUANTILES: tuple[tuple[str, float], ...] = (("p50", 0.50), ("p90", 0.90), ("p95", 0.95), ("p99", 0.99))
Z99 = 2.3263478740408408  # standard normal quantile at 0.99 (as twin.draws)
THIS_MACHINE = Path(__file__).with_name("this_machine.json")
"""The profile measured on the machine the project is developed on (how: in the file)."""


class ProfileError(ValueError):
    """A service-time profile that cannot be used: ``FILE: field: problem``."""


@dataclass(frozen=True, slots=True)
class Distribution:
    """One measured cost distribution, in microseconds."""

    count: int
    quantiles_us: Mapping[str, float]
    median_ms: float
    p99_ms: float
    sample_us: tuple[float, ...] = ()
    server_cpu_us: float | None = None
    """For an ``http`` entry: the server process's mean CPU time per request (``/proc``), if measured."""

    @property
    def mean_us(self) -> float:
        """Mean of the sample, or of the fitted lognormal when there is none."""
        if self.sample_us:
            return sum(self.sample_us) / len(self.sample_us)
        sigma = math.log(self.p99_ms / self.median_ms) / Z99 if self.p99_ms > self.median_ms else 0.0
        return self.median_ms * 1000 * math.exp(sigma * sigma / 2)


@dataclass(frozen=True, slots=True)
class ServiceProfile:
    """A loaded profile: per service (and optionally per HTTP request kind) a distribution."""

    services: Mapping[str, Distribution]
    http: Mapping[str, Distribution]
    measured: Mapping[str, Any]
    source: str = "<profile>"


def summarise(sample_us: list[float], keep: int = 2000) -> dict[str, Any]:
    """The JSON entry for one sample (us): count, quantiles, lognormal fit and (thinned) sample.

    The fit keeps the median and p99 (as the scenario's hand-set ``services`` do). At most
    ``keep`` values are stored, evenly spaced over the sorted sample so the shape, tail
    included, survives thinning.
    """
    if not sample_us:
        raise ValueError("summarise: empty sample")
    ordered = sorted(sample_us)
    n = len(ordered)

    def q(p: float) -> float:  # linear interpolation, as numpy's default
        pos = p * (n - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, n - 1)
        return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)

    quantiles = {name: round(q(p), 3) for name, p in QUANTILES}
    quantiles["max"] = round(ordered[-1], 3)
    step = max(1, math.ceil(n / keep))
    thinned = [round(v, 3) for v in ordered[::step]]
    median = max(quantiles["p50"], 1e-3) / 1000
    p99 = max(quantiles["p99"] / 1000, median)
    return {"count": n, "quantiles_us": quantiles, "lognormal": {"median_ms": median, "p99_ms": p99},
            "sample_us": thinned}


def write_profile(path: Path, services: Mapping[str, dict], measured: Mapping[str, Any],
                  http: Mapping[str, dict] | None = None) -> Path:
    """Write a profile file (entries from :func:`summarise`); returns the path."""
    doc: dict[str, Any] = {"format": FORMAT, "measured": dict(measured), "services": dict(services)}
    if http:
        doc["http"] = dict(http)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path


def _number(value: Any, where: str, source: str, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProfileError(f"{source}: {where}: must be a number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ProfileError(f"{source}: {where}: must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def _distribution(entry: Any, where: str, source: str) -> Distribution:
    if not isinstance(entry, dict):
        raise ProfileError(f"{source}: {where}: must be an object, got {type(entry).__name__}")
    fit = entry.get("lognormal")
    if not isinstance(fit, dict):
        raise ProfileError(f"{source}: {where}.lognormal: missing (an object with median_ms and p99_ms)")
    median = _number(fit.get("median_ms"), f"{where}.lognormal.median_ms", source)
    p99 = _number(fit.get("p99_ms"), f"{where}.lognormal.p99_ms", source)
    if p99 < median:
        raise ProfileError(f"{source}: {where}.lognormal.p99_ms: must be >= median_ms ({median}), got {p99}")
    raw_sample = entry.get("sample_us", [])
    if not isinstance(raw_sample, list):
        raise ProfileError(f"{source}: {where}.sample_us: must be a list of numbers")
    sample = tuple(_number(v, f"{where}.sample_us[{i}]", source, positive=False) for i, v in enumerate(raw_sample))
    quantiles = entry.get("quantiles_us", {})
    if not isinstance(quantiles, dict):
        raise ProfileError(f"{source}: {where}.quantiles_us: must be an object")
    count = entry.get("count", len(sample))
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ProfileError(f"{source}: {where}.count: must be a whole number >= 0, got {count!r}")
    cpu = entry.get("server_cpu_us")
    server_cpu = None if cpu is None else _number(cpu, f"{where}.server_cpu_us", source)
    return Distribution(count, {str(k): _number(v, f"{where}.quantiles_us.{k}", source, False)
                                for k, v in quantiles.items()}, median, p99, sample, server_cpu)


def parse_profile(doc: Any, source: str = "<profile>", known_services: tuple[str, ...] | None = None
                  ) -> ServiceProfile:
    """A profile from its decoded JSON; ``known_services`` refuses a service the twin does not host."""
    if not isinstance(doc, dict):
        raise ProfileError(f"{source}: (document): must be a JSON object")
    if doc.get("format") != FORMAT:
        raise ProfileError(f"{source}: format: must be {FORMAT!r}, got {doc.get('format')!r}")
    services = doc.get("services")
    if not isinstance(services, dict) or not services:
        raise ProfileError(f"{source}: services: must be a non-empty object of service name -> distribution")
    parsed: dict[str, Distribution] = {}
    for name, entry in services.items():
        if known_services is not None and name not in known_services:
            raise ProfileError(f"{source}: services.{name}: unknown service (the twin has "
                               f"{', '.join(known_services)})")
        parsed[name] = _distribution(entry, f"services.{name}", source)
    http = doc.get("http", {})
    if not isinstance(http, dict):
        raise ProfileError(f"{source}: http: must be an object of request kind -> distribution")
    measured = doc.get("measured", {})
    return ServiceProfile(parsed, {k: _distribution(v, f"http.{k}", source) for k, v in http.items()},
                          measured if isinstance(measured, dict) else {}, source)


def load_profile(path: str | Path, known_services: tuple[str, ...] | None = None) -> ServiceProfile:
    """Read and check a profile file; every problem is one ``ProfileError`` naming the file and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    return parse_profile(doc, str(path), known_services)

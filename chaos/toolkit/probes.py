"""Chaos Toolkit probes: SLO figures of a twin run, health and round trips of the live stack.

Twin probes measure the *current* run of a state folder (``chaos.toolkit.twin_runs``): the
fault-free baseline until an action records a faulted run. Before the method the hypothesis
therefore holds on the baseline; after it, on the faulted run, compared with the baseline of the
same scenario and seed.

Every twin probe takes the run's workload (``config_changes``, ``analytics``) so that the baseline
it makes on first need is the same workload without the faults.

Live probes talk HTTP to a running ``twin serve`` (health, an order round trip, /metrics values).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from .twin_runs import baseline_run, current_run, figures

Changes = list[dict[str, Any]] | None

__all__ = ["order_path_p99_ms", "order_path_p99_ratio", "invariants_held", "run_figure", "orders_routed",
           "undetected_corruptions", "rpo_events", "rto_ms",
           "http_status", "order_round_trip", "metric_value"]


def order_path_p99_ms(state_dir: str, scenario: str, seed: int | None = None, config_changes: Changes = None,
                    analytics: bool = False) -> float:
    """Order-path p99 (advisor send to routed, ms) of the current run."""
    value = figures(current_run(state_dir, scenario, seed, config_changes, analytics))["order_path"]["p99_ms"]
    return float("inf") if value is None else float(value)


def order_path_p99_ratio(state_dir: str, scenario: str, seed: int | None = None, config_changes: Changes = None,
                    analytics: bool = False) -> float:
    """Order-path p99 of the current run over the fault-free baseline's (same scenario and seed):
    1.0 before any fault; a bulkhead holds when it stays within 1.05."""
    base = figures(baseline_run(state_dir, scenario, seed, config_changes, analytics))["order_path"]["p99_ms"]
    if not base:
        return float("inf")
    return round(order_path_p99_ms(state_dir, scenario, seed, config_changes, analytics) / base, 6)


def invariants_held(state_dir: str, scenario: str, seed: int | None = None, config_changes: Changes = None,
                    analytics: bool = False) -> bool:
    """True when every invariant held in the current run (no event lost, every order terminal, ...)."""
    return bool(figures(current_run(state_dir, scenario, seed, config_changes, analytics))["invariants_held"])


def orders_routed(state_dir: str, scenario: str, seed: int | None = None, config_changes: Changes = None,
                    analytics: bool = False) -> int:
    """Orders of the current run that reached the router (order flow was not blocked)."""
    return int(figures(current_run(state_dir, scenario, seed, config_changes, analytics))["order_path"]["count"])


def undetected_corruptions(state_dir: str, scenario: str, seed: int | None = None) -> int:
    """Stored events corrupted in the current run that the hash chain did not catch (0 without any)."""
    storage = figures(current_run(state_dir, scenario, seed)).get("storage") or {}
    return int(storage.get("undetected", 0))


def _failovers(state_dir: str, scenario: str, seed: int | None) -> list[dict[str, Any]]:
    regions = figures(current_run(state_dir, scenario, seed)).get("regions") or {}
    return list(regions.get("failovers") or [])


def rpo_events(state_dir: str, scenario: str, seed: int | None = None) -> int:
    """Acknowledged trade-critical events lost in the current run's worst failover (0 without one)."""
    return max((int(f["rpo_events"]) for f in _failovers(state_dir, scenario, seed)), default=0)


def rto_ms(state_dir: str, scenario: str, seed: int | None = None) -> float:
    """Simulated ms from the region's loss to the first order the survivor accepted, worst failover of
    the current run (0 without one)."""
    return max((float(f["rto_ms"]) for f in _failovers(state_dir, scenario, seed) if f.get("rto_ms") is not None),
               default=0.0)


def run_figure(state_dir: str, scenario: str, path: str, seed: int | None = None, config_changes: Changes = None,
               analytics: bool = False) -> Any:
    """One figure of the current run's chaos.json by dotted ``path`` (e.g. ``analytics.fallbacks``);
    ``KeyError`` naming the path when the run has no such figure."""
    value: Any = figures(current_run(state_dir, scenario, seed, config_changes, analytics))
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(f"{path}: the current run has no figure {part!r}")
        value = value[part]
    return value


# -- live stack over HTTP ---------------------------------------------------------------------------
def http_status(url: str, timeout_s: float = 2.0) -> int:
    """The HTTP status ``url`` answers a GET with; 0 when nothing answers (refused, timed out)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 (an operator's URL)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def order_round_trip(base_url: str, order: dict[str, Any], token: str = "", timeout_s: float = 5.0) -> int:
    """POST ``order`` to ``BASE/orders`` (bearer ``token`` if given) and return the status (0: no answer).
    A healthy stack answers 201/202 (accepted) or 200 (a replay of the same client order id)."""
    request = urllib.request.Request(f"{base_url.rstrip('/')}/orders", data=json.dumps(order).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})  # fmt: skip
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def metric_value(url: str, name: str, labels: dict[str, str] | None = None, timeout_s: float = 2.0) -> float:
    """The value of metric ``name`` (with exactly these ``labels``, if given) in a Prometheus text
    exposition at ``url`` (e.g. ``http://127.0.0.1:8080/metrics``); summed over label sets otherwise.
    ``LookupError`` naming the metric when it is absent."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310
        text = response.read().decode()
    from prometheus_client.parser import text_string_to_metric_families

    total, found = 0.0, False
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name != name or (labels is not None and sample.labels != labels):
                continue
            total += float(sample.value)
            found = True
    if not found:
        raise LookupError(f"{name}: no such metric at {url}")
    return total

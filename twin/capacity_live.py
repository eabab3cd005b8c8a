"""The twin's model of the live stack under a locust load test, to set beside what locust measures.

The live process (``twin serve``) handles each HTTP request on one event loop and runs every
component's handler for it synchronously under one lock (``live.runtime``): to a request it
is one server with one FIFO queue. A locust load test is a closed loop: ``users`` advisors,
each sending a request, waiting for the answer, thinking for a uniform 10 to 100 ms
(``between(0.01, 0.1)``), and sending the next. ``predict_load_test`` simulates exactly that
on the twin's own machinery (a ``SimService`` on a ``SimClock``): the request kind is drawn
with the locust mix's weights and its service time resampled from the profile's ``http``
section (``loadtests/benchmarks/bench_calibrate.py``: the live API's measured cost per request
kind, HTTP, JSON, SQLite and the components included). ``client_ms`` (default 0: left out)
models the load generator too: locust runs its users in one process, so it is a second
single server, where each request takes ``client_ms`` (building it, reading the answer) and
queues behind the other users' before it reaches the live process.

What it leaves out, and so what a gap to the measurement points at: the load generator's CPU
(locust is one process on the same two cores), other processes competing for the cores, the
kernel's loopback and uvicorn's connection handling beyond what a one-at-a-time request sees,
and garbage-collection pauses that hit several queued requests at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import simpy

from components.domain.outcomes import DONE, Handled
from components.memory import SeededStreams
from scenarios.service_times import ServiceProfile

from .clock import SimClock
from .draws import Draws
from .services import SimService

_MS = 1_000_000
_DONE = Handled(DONE, ())


@dataclass(frozen=True, slots=True)
class LoadPrediction:
    """The predicted load test: throughput and response-time percentiles over the measured window."""

    users: int
    requests: int
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    utilisation: float


def _mix_draws(profile: ServiceProfile, mix: Mapping[str, float], rng: np.random.Generator,
               cpu_share: float | None = None) -> Draws:
    """Service times of a request of a random kind (weights ``mix``), resampled from its measured sample;
    with ``cpu_share``, each kind's sample rescaled to mean ``server_cpu_us / cpu_share``."""
    kinds = [k for k in mix if k in profile.http]
    if not kinds:
        raise ValueError(f"{profile.source}: http: none of the mix's request kinds is measured "
                         f"(have {', '.join(profile.http) or 'none'}); run loadtests/benchmarks/bench_calibrate.py")
    weights = np.array([mix[k] for k in kinds], dtype=float)
    weights /= weights.sum()
    samples = [np.asarray(profile.http[k].sample_us, dtype=float) * 1e3 for k in kinds]
    if cpu_share is not None:
        missing = [k for k in kinds if profile.http[k].server_cpu_us is None]
        if missing:
            raise ValueError(f"{profile.source}: http.{missing[0]}.server_cpu_us: not measured, so --cpu-share "
                             "cannot be applied")
        samples = [s * (profile.http[k].server_cpu_us * 1e3 / cpu_share) / s.mean() for k, s in zip(kinds, samples)]

    def sample(n: int) -> np.ndarray:
        kind = rng.choice(len(kinds), size=n, p=weights)
        out = np.empty(n)
        for i, values in enumerate(samples):
            chosen = kind == i
            out[chosen] = values[rng.integers(0, values.size, int(chosen.sum()))]
        return out

    return Draws(sample)


def predict_load_test(profile: ServiceProfile, users: int, *, duration_s: float = 30.0, warmup_s: float = 2.0,
                      think_ms: tuple[float, float] = (10.0, 100.0), mix: Mapping[str, float] | None = None,
                      client_ms: float = 0.0, cpu_share: float | None = None, seed: int = 0) -> LoadPrediction:
    """Simulate ``users`` closed-loop locust users against the live process modelled as one server.

    ``cpu_share`` (a fraction of one core): the share of a core the processes get while the test
    runs on a shared machine. Given, each request's service time is its kind's measured server
    CPU time divided by it (the wall samples keep only their shape), and ``client_ms`` is read
    as the load generator's CPU time per request and divided by it too. Not given, the wall
    times as measured (on the machine as it was then) are used, and ``client_ms`` as wall time.
    """
    if users < 1:
        raise ValueError(f"users: must be >= 1, got {users}")
    if cpu_share is not None and not 0 < cpu_share <= 1:
        raise ValueError(f"cpu_share: must be in (0, 1], got {cpu_share}")
    if cpu_share is not None:
        client_ms = client_ms / cpu_share
    if not duration_s > warmup_s >= 0:
        raise ValueError(f"duration_s: must be > warmup_s ({warmup_s}), got {duration_s}")
    mix = dict(mix or profile.measured.get("http_mix") or {k: 1.0 for k in profile.http})
    streams = SeededStreams(seed)
    env = simpy.Environment()
    clock = SimClock(env, 0)
    think = streams.stream("live:think")
    responses: list[int] = []  # of requests sent in the window and answered by its end
    completed = [0]  # answers within the window, whenever sent: the throughput
    warmup_ns, end_ns, client_ns = int(warmup_s * 1e9), int(duration_s * 1e9), int(client_ms * _MS)

    def answered(message: object) -> Handled:
        user, sent = message  # type: ignore[misc]
        now = clock.now_ns()
        if warmup_ns <= now <= end_ns:
            completed[0] += 1
            if sent >= warmup_ns:
                responses.append(now - sent)
        clock.schedule(int(think.uniform(*think_ms) * _MS), send, user)
        return _DONE

    server = SimService("live", clock, _mix_draws(profile, mix, streams.stream("live:service"), cpu_share), answered)
    first = server
    if client_ns > 0:
        def forward(message: object) -> Handled:
            server.deliver(message)
            return _DONE

        first = SimService("load-generator", clock, Draws(lambda n: np.full(n, float(client_ns))), forward)

    def send(timer) -> None:
        if clock.now_ns() < end_ns:
            first.deliver((timer.value, clock.now_ns()))

    spread = streams.stream("live:spawn")
    for user in range(users):  # locust's ramp is short beside the run: users start within the first 100 ms
        clock.schedule(int(spread.uniform(0, 100) * _MS), send, user)
    busy_at: list[int] = []  # the server's busy time at the window's start and end

    def snapshot(_timer) -> None:
        busy_at.append(server.stats.busy_ns)

    clock.schedule(warmup_ns, snapshot)
    clock.schedule(end_ns, snapshot)
    env.run(until=end_ns + 10 * 1_000_000_000)
    window_s = (end_ns - warmup_ns) / 1e9
    values = np.asarray(responses, dtype=float) / _MS
    p50, p95, p99 = np.percentile(values, [50, 95, 99]) if values.size else (np.nan,) * 3
    return LoadPrediction(users, completed[0], completed[0] / window_s, float(p50), float(p95), float(p99),
                          min(1.0, (busy_at[1] - busy_at[0]) / (end_ns - warmup_ns)))

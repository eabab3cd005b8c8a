"""The advisor-facing analytics (AI) service, off the trade path and behind a bulkhead.

It consumes the OMS's order events (a subscriber, like any event consumer: the OMS hands it the
event and returns; delivery takes a hop on its own link) and computes an "insight" per event for
advisors' dashboards. It shares nothing with the order path but the events it reads:

* **bulkhead**: its own single worker and its own bounded queue (``queue_limit``); when the queue
  is full the event is shed to the fallback instead of waiting;
* **timeout**: a call slower than ``timeout_ms`` is abandoned at the timeout (fallback);
* **circuit breaker**: after ``breaker_failures`` consecutive failures or timeouts, calls stop for
  ``breaker_open_ms`` (every event gets the fallback at once), then one trial call decides;
* **fallback**: the dashboard shows the order without the insight (counted, never an error to the
  order path).

Faults (``chaos.faults.analytics``) slow its calls (``slow``) or fail them (``fail``). With a
control plane (``twin.control_plane``) it also keeps a data-plane copy: the ``insights`` flag
(off: every event takes the fallback) and the promoted ``insight`` model version.

Default worlds have none (``analytics_of`` installs it on first use), so their fingerprints do not
change; it writes no events and draws only from its own streams (``service:analytics``,
``net:oms->analytics``, ``analytics:failures``), so adding it moves no other draw.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from components.domain.events import OrderEvent
from components.domain.orders import Order

from .control_plane import ConfigVersion, DataPlaneCopy, TwinControlPlane
from .draws import hop_ms, lognormal_ms
from .world import TwinWorld

MS = 1_000_000


@dataclass
class AnalyticsStats:
    """What the analytics service did (all counts of events consumed)."""

    consumed: int = 0
    insights: int = 0
    shed: int = 0
    """Refused at the bulkhead: the queue was full."""
    timeouts: int = 0
    failures: int = 0
    short_circuited: int = 0
    """Served the fallback at once while the breaker was open or the flag off."""
    breaker_opens: int = 0
    max_queue: int = 0
    lags_ns: list[int] = field(default_factory=list)
    """Event time to insight, per insight produced."""

    @property
    def fallbacks(self) -> int:
        return self.shed + self.timeouts + self.failures + self.short_circuited


class TwinAnalytics:
    """The analytics service of one twin world (see the module docstring)."""

    def __init__(self, world: TwinWorld, median_ms: float = 4.0, p99_ms: float = 40.0, timeout_ms: float = 250.0,
                 queue_limit: int = 2_000, breaker_failures: int = 5, breaker_open_ms: float = 5_000.0,
                 hop_median_ms: float = 1.0):
        self.world = world
        self._clock = world.clock
        streams = world.streams
        self._cost = lognormal_ms(streams.stream("service:analytics"), median_ms, p99_ms).next
        self._hop = hop_ms(streams.stream("net:oms->analytics"), hop_median_ms, hop_median_ms / 4).next
        self._failures: np.random.Generator = streams.stream("analytics:failures")
        self.timeout_ns = int(timeout_ms * MS)
        self.queue_limit = queue_limit
        self.breaker_failures = breaker_failures
        self.breaker_open_ns = int(breaker_open_ms * MS)
        self.factor = 1.0
        self.failure_probability = 0.0
        self.enabled = True
        self.model = "v1"
        self.stats = AnalyticsStats()
        self.fault_log: list[tuple[int, str]] = []
        """(t_ns, what) of each fault start and heal."""
        self._queue: deque[OrderEvent] = deque()
        self._busy = False
        self._consecutive = 0
        self._open_until = -1
        world.platform.oms.subscribe(self._on_event)
        if world.control_plane is not None:
            self.attach_to(world.control_plane)

    # -- the data-plane copy of its configuration -------------------------------------------------
    def attach_to(self, plane: TwinControlPlane) -> None:
        """Keep a data-plane copy at ``plane``: the ``insights`` flag and the ``insight`` model."""
        def apply(version: ConfigVersion) -> None:
            self.enabled = version.flag("insights")
            self.model = version.model("insight", self.model)

        plane.attach(DataPlaneCopy("analytics", ConfigVersion(0, frozenset()), lambda v: None, apply))

    # -- consuming events -------------------------------------------------------------------------
    def _on_event(self, event: OrderEvent, order: Order | None) -> None:
        """Called by the OMS as it records an event: the event leaves on the analytics link; nothing
        here runs on, or waits for, the order path."""
        if order is not None:
            self._clock.call_later(self._hop(), lambda: self._arrive(event))

    def _arrive(self, event: OrderEvent) -> None:
        stats = self.stats
        stats.consumed += 1
        if len(self._queue) >= self.queue_limit:
            stats.shed += 1
            return
        self._queue.append(event)
        stats.max_queue = max(stats.max_queue, len(self._queue))
        if not self._busy:
            self._next()

    def _next(self) -> None:
        now = self._clock.now_ns()
        while self._queue and (not self.enabled or now < self._open_until):
            self._queue.popleft()  # flag off or breaker open: the fallback, at once
            self.stats.short_circuited += 1
        if not self._queue:
            self._busy = False
            return
        self._busy = True
        cost = int(self._cost() * self.factor)
        failed = self.failure_probability > 0 and self._failures.random() < self.failure_probability
        if failed:
            cost = max(1, cost // 2)  # a failing call returns an error before it would have answered
        timed_out = cost > self.timeout_ns
        self._clock.call_later(min(cost, self.timeout_ns), lambda: self._done(failed, timed_out))

    def _done(self, failed: bool, timed_out: bool) -> None:
        event = self._queue.popleft()
        stats = self.stats
        if failed or timed_out:
            if failed:
                stats.failures += 1
            else:
                stats.timeouts += 1
            self._consecutive += 1
            if self._consecutive >= self.breaker_failures:
                self._open_until = self._clock.now_ns() + self.breaker_open_ns
                stats.breaker_opens += 1
                self._consecutive = 0
        else:
            self._consecutive = 0
            stats.insights += 1
            stats.lags_ns.append(self._clock.now_ns() - event.timestamp_utc)
        self._next()

    # -- the mechanism faults use (chaos.faults.analytics.Analytics) ------------------------------
    def slow(self, factor: float) -> None:
        self.factor = factor
        self.fault_log.append((self._clock.now_ns(), f"slow x{factor:g}"))

    def fail(self, probability: float) -> None:
        self.failure_probability = probability
        self.fault_log.append((self._clock.now_ns(), f"fail p={probability:g}"))

    def heal(self) -> None:
        self.factor, self.failure_probability = 1.0, 0.0
        self.fault_log.append((self._clock.now_ns(), "healed"))

    def summary(self) -> dict[str, Any]:
        """What happened, for a run's chaos.json."""
        s = self.stats
        lags = np.asarray(s.lags_ns, dtype=np.float64) / MS
        pct = (lambda q: round(float(np.percentile(lags, q)), 3)) if lags.size else (lambda q: None)
        return {
            "consumed": s.consumed, "insights": s.insights, "fallbacks": s.fallbacks, "shed": s.shed,
            "timeouts": s.timeouts, "failures": s.failures, "short_circuited": s.short_circuited,
            "breaker_opens": s.breaker_opens, "max_queue": s.max_queue, "model": self.model,
            "lag_p50_ms": pct(50), "lag_p99_ms": pct(99),
            "faults": [{"t_ns": t, "what": w} for t, w in self.fault_log],
        }


def analytics_of(world: TwinWorld) -> TwinAnalytics:
    """The world's analytics service, installed on first use (the mechanism analytics faults ask for)."""
    if world.analytics is None:
        world.analytics = TwinAnalytics(world)
    return world.analytics

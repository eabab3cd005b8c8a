"""Plain-Python metric cells and the prometheus-client collector that exposes them.

prometheus-client's own Counter and Histogram take a lock and validate on every
update (a few microseconds each); the live hot path updates about a dozen per
order. Here an update is an attribute increment: callers already serialise
updates (live: every handler and OMS listener runs under the runtime's lock; the
HTTP middleware runs on the one event-loop thread; the twin is single-threaded),
and a scrape reads the numbers as they are (a histogram's buckets and count may
be one observation apart in a scrape that lands mid-update; the next one agrees).
``FamilyCollector`` turns the cells into the standard metric families, so the
exposition is the one prometheus-client writes.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

from .catalogue import Kind, MetricSpec


class Value:
    """A counter or gauge cell."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount

    def dec(self, amount: float = 1.0) -> None:
        self.value -= amount

    def set(self, value: float) -> None:
        self.value = value


class Buckets:
    """A histogram cell: per-bucket counts (the last is +Inf) and the sum; ``le`` semantics (v <= edge)."""

    __slots__ = ("edges", "counts", "sum")

    def __init__(self, edges: tuple[float, ...]) -> None:
        self.edges = edges
        self.counts = [0] * (len(edges) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.edges, value)] += 1
        self.sum += value


class Family:
    """One catalogue metric: its cells by label values (``labels(...)`` as in prometheus-client)."""

    def __init__(self, spec: MetricSpec) -> None:
        self.spec = spec
        self.cells: dict[tuple[str, ...], Any] = {}
        if not spec.labels:
            self.labels()  # an unlabelled metric is exposed (as 0) from the start

    def labels(self, *values: str) -> Any:
        cell = self.cells.get(values)
        if cell is None:
            if len(values) != len(self.spec.labels):
                raise ValueError(f"{self.spec.name}: needs labels {self.spec.labels}, got {values}")
            cell = self.cells[values] = Buckets(self.spec.buckets) if self.spec.kind is Kind.HISTOGRAM else Value()
        return cell

    def inc(self, amount: float = 1.0) -> None:
        self.cells[()].inc(amount)

    def dec(self, amount: float = 1.0) -> None:
        self.cells[()].dec(amount)

    def set(self, value: float) -> None:
        self.cells[()].set(value)

    def observe(self, value: float) -> None:
        self.cells[()].observe(value)

    def family(self) -> Any:
        spec, names = self.spec, list(self.spec.labels)
        if spec.kind is Kind.HISTOGRAM:
            out = HistogramMetricFamily(spec.name, spec.help, labels=names)
            les = [floatToGoString(e) for e in spec.buckets] + ["+Inf"]
            for values, cell in list(self.cells.items()):
                cumulative, running = [], 0
                for le, n in zip(les, list(cell.counts)):
                    running += n
                    cumulative.append((le, running))
                out.add_metric(list(values), cumulative, cell.sum)
            return out
        cls = CounterMetricFamily if spec.kind is Kind.COUNTER else GaugeMetricFamily
        out = cls(spec.name, spec.help, labels=names)
        for values, cell in list(self.cells.items()):
            out.add_metric(list(values), cell.value)
        return out


class FamilyCollector:
    """A prometheus-client collector over ``Family`` objects, in catalogue order."""

    def __init__(self, families: list[Family]) -> None:
        self._families = families

    def collect(self) -> Iterator[Any]:
        for family in self._families:
            yield family.family()

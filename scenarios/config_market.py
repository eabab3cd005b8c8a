"""Market-structure sections of the scenario schema: venue latency models, the SIP, replay.

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports these classes). All default to off, so a scenario that leaves them
out runs exactly as before (same event log, same fingerprint):

* ``venues[i].latency_model``: the distribution of that venue's link delays
  (order entry out, acks/fills back, its market-data feed to the SIP);
  ``twin.latency`` builds it. Left out, the venue keeps the fixed delay plus
  exponential jitter (``network.jitter_ms``) it always had.
* ``sip``: a securities information processor consolidating the venues'
  quotes (``venues_sim.sip``); risk and analytics then read its delayed NBBO.
* ``replay``: a recorded day (``docs/replay_format.md``) replaces the
  simulated venues and their liquidity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from .schema import Pattern, Range

Millis = Annotated[float, Range(ge=0.0, le=60_000.0)]


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """How one venue's link delays are drawn (``twin.latency``).

    ``fixed_jitter``: ``venues[i].latency_ms`` plus exponential jitter of mean
    ``jitter_ms`` (``network.jitter_ms`` when left out); the default model.
    ``fat_tail``: a log-normal body (``median_ms``, ``p99_ms``) mixed with a
    Pareto tail (probability ``tail_probability``, shape ``tail_alpha``,
    starting at ``tail_scale_ms``), times a spike multiplier that grows with
    the recent message rate on the link (an exponentially decaying counter of
    half-life ``burst_halflife_ms``): ``1 + burst_gain * max(0, rate /
    burst_rate_per_s - 1)``.
    """

    kind: Annotated[str, Pattern(r"fixed_jitter|fat_tail", "one of fixed_jitter, fat_tail")] = "fixed_jitter"
    """Model (``fixed_jitter`` or ``fat_tail``). Default fixed_jitter."""
    jitter_ms: Millis | None = None
    """fixed_jitter: mean exponential jitter, ms. Default ``network.jitter_ms``."""
    median_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] | None = None
    """fat_tail: median of the body, ms. Default the venue's ``latency_ms``."""
    p99_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] | None = None
    """fat_tail: 99th percentile of the body, ms. Default 3 x median."""
    tail_probability: Annotated[float, Range(ge=0.0, le=0.5)] = 0.01
    """fat_tail: share of draws from the Pareto tail. Default 0.01."""
    tail_alpha: Annotated[float, Range(gt=0.5, le=10.0)] = 1.5
    """fat_tail: Pareto shape (smaller = heavier). Default 1.5."""
    tail_scale_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] | None = None
    """fat_tail: where the Pareto tail starts, ms. Default the body's p99."""
    burst_rate_per_s: Annotated[float, Range(ge=0.0, le=10_000_000.0)] = 0.0
    """fat_tail: message rate on the link above which delays spike; 0 = no spikes. Default 0."""
    burst_gain: Annotated[float, Range(ge=0.0, le=1_000.0)] = 1.0
    """fat_tail: extra multiple of the delay per multiple of ``burst_rate_per_s`` exceeded. Default 1."""
    burst_halflife_ms: Annotated[float, Range(gt=0.0, le=600_000.0)] = 100.0
    """fat_tail: half-life of the message-rate counter, ms. Default 100."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.kind == "fixed_jitter":
            for name in ("median_ms", "p99_ms", "tail_scale_ms"):
                if getattr(self, name) is not None:
                    yield name, "only applies to kind fat_tail"
        elif self.jitter_ms is not None:
            yield "jitter_ms", "only applies to kind fixed_jitter"
        if self.median_ms is not None and self.p99_ms is not None and self.p99_ms < self.median_ms:
            yield "p99_ms", f"must be >= median_ms ({self.median_ms}), got {self.p99_ms}"


@dataclass(frozen=True, slots=True)
class Sip:
    """A securities information processor: the consolidated NBBO, delayed.

    Each venue's quote changes are sampled every ``poll_ms`` and reach the SIP
    after the venue's feed latency (``feed_latency_ms`` + exponential jitter of
    mean ``feed_jitter_ms``, from stream ``sip-feed:<venue>``; or the venue's
    ``fat_tail`` latency model when it has one); the SIP publishes each new
    NBBO ``publish_latency_ms`` (+ jitter) later. Risk and analytics use the
    published NBBO mid as the reference price; the router keeps its direct feeds.
    """

    feed_latency_ms: Millis = 1.0
    """Venue-to-SIP delay, ms. Default 1."""
    feed_jitter_ms: Millis = 0.2
    """Mean exponential jitter on the feed delay, ms. Default 0.2."""
    publish_latency_ms: Millis = 0.5
    """SIP-to-subscriber delay, ms. Default 0.5."""
    publish_jitter_ms: Millis = 0.1
    """Mean exponential jitter on the publication delay, ms. Default 0.1."""
    stale_after_s: Annotated[float, Range(gt=0.0, le=86_400.0)] | None = None
    """A venue quote older than this is left out of the NBBO; none = never stale. Default none."""
    poll_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] = 25.0
    """How often venue books are checked for a changed quote, ms. Default 25."""


@dataclass(frozen=True, slots=True)
class Replay:
    """A recorded day replayed as the venues (``venues_sim.replay``).

    Paths are relative to the scenario file (to the working directory for a
    scenario parsed from text). Every scenario venue must appear in the
    recording; no liquidity providers or agents are started.
    """

    quotes: Annotated[str, Pattern(r".+\.(csv|parquet)", "a .csv or .parquet file path")]
    """Recorded quotes file (required)."""
    trades: Annotated[str, Pattern(r".+\.(csv|parquet)", "a .csv or .parquet file path")]
    """Recorded trades file (required)."""

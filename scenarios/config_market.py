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
* ``market_view``: what the smart order router reads quotes from: the venue
  books (``book``, the default), each venue's direct feed after its latency
  (``direct_feed``) or the SIP's published NBBO (``sip``); ``twin.market_view``
  builds it (docs/router_view.md).
* ``tape``: whether our own child fills are printed on the market's tape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Iterator

from components.config.fields import Millis
from components.config.schema import Pattern, Range


@dataclass(frozen=True, slots=True)
class Sip:
    """A securities information processor: the consolidated NBBO, delayed.

    Each venue's quote changes are sampled every ``poll_ms`` and reach the SIP
    after the venue's feed latency (``feed_latency_ms`` + exponential jitter of
    mean ``feed_jitter_ms``, from stream ``sip-feed:<venue>``; or the venue's
    ``fat_tail`` latency model when it has one); the SIP publishes each new
    NBBO ``publish_latency_ms`` (+ jitter) later. Risk and analytics use the
    published NBBO mid as the reference price; the router reads what ``market_view``
    says (default the venue books; ``source: sip`` reads this NBBO).
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


@dataclass(frozen=True, slots=True)
class MarketView:
    """Where the smart order router's quotes come from (``twin.market_view``, docs/router_view.md).

    ``book`` (the default): each venue's book as it is now, no delay, as the twin always had.
    ``direct_feed``: each venue's top of book, sampled every ``poll_ms`` when its book changed,
    reaches the router after ``feed_latency_ms`` (default the venue's ``latency_ms``) plus
    exponential jitter of mean ``jitter_ms``, drawn from stream ``market-view:<venue>`` (or the
    venue's ``fat_tail`` latency model when it has one). ``sip``: the scenario's SIP published
    NBBO, split into per-venue quotes (needs a ``sip`` section). Risk's reference price is not
    changed by this setting.
    """

    source: Annotated[str, Pattern(r"book|direct_feed|sip", "one of book, direct_feed, sip")] = "book"
    """Quote source of the router: ``book``, ``direct_feed`` or ``sip``. Default book."""
    feed_latency_ms: Millis | None = None
    """direct_feed: venue-to-router feed delay, ms. Default each venue's ``latency_ms``."""
    jitter_ms: Millis = 0.1
    """direct_feed: mean exponential jitter on the feed delay, ms. Default 0.1."""
    poll_ms: Annotated[float, Range(gt=0.0, le=60_000.0)] = 5.0
    """direct_feed: how often each venue's feed publishes a changed top (a conflated feed), ms. Default 5."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.source != "direct_feed":
            fields = (("feed_latency_ms", None), ("jitter_ms", 0.1), ("poll_ms", 5.0))
            for name, default in fields:
                if getattr(self, name) != default:
                    yield name, f"only applies to source direct_feed (source is {self.source})"


@dataclass(frozen=True, slots=True)
class Tape:
    """What the market's trade tape shows (``scenarios.agents.tape``, ``market_prints.parquet``)."""

    own_fills: bool = False
    """Print our own child orders' taker fills on the tape the agents read and on the run's market
    prints, as a real venue prints them. Default false: the tape shows participants' trades only
    (agents scenarios' fingerprints change when on: the market makers read the tape)."""
